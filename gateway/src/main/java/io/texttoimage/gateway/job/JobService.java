package io.texttoimage.gateway.job;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.panache.common.Sort;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.texttoimage.gateway.auth.Caller;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/** Submits and cancels jobs: the database row is the source of truth, the broker carries the commands. */
@ApplicationScoped
public class JobService {
    private static final Logger LOG = Logger.getLogger(JobService.class);
    private static final Duration KEY_CLEANUP_INTERVAL = Duration.ofMinutes(10);

    private final JobCommands generators;
    private final JobStore store;
    private final Counter submitted;
    private final Counter unqueued;
    private final Counter replayed;
    private final Duration idempotencyKeyLifetime;
    private final Timer insertTime;
    private final PublishConfirmations confirmations;
    private final WorkerRegistry workers;
    private final WebhookDeliveries webhookDeliveries;
    private final QueueEstimates estimates;
    private final SubmissionQuota quota;

    public JobService(JobCommands generators, JobStore store, MeterRegistry registry,
                      @ConfigProperty(name = "t2i.gateway.idempotency-key-lifetime", defaultValue = "PT24H")
                      Duration idempotencyKeyLifetime, WorkerRegistry workers, WebhookDeliveries webhookDeliveries,
                      QueueEstimates estimates, SubmissionQuota quota, PublishConfirmations confirmations) {
        this.generators = generators;
        this.store = store;
        this.submitted = registry.counter("t2i.gateway.jobs.submitted");
        this.unqueued = registry.counter("t2i.gateway.jobs.unqueued");
        this.replayed = registry.counter("t2i.gateway.jobs.replayed");
        this.idempotencyKeyLifetime = idempotencyKeyLifetime;
        this.insertTime = registry.timer("t2i.gateway.db.insert");
        this.workers = workers;
        this.webhookDeliveries = webhookDeliveries;
        this.estimates = estimates;
        this.quota = quota;
        this.confirmations = confirmations;
    }

    /**
     * Stores the job as queued, then publishes it, and answers once both are durable (the INSERT committed, the
     * broker's publisher confirm received; {@link PublishConfirmations} records the confirm on the row without
     * holding up the answer). Storing first means nothing is published that could not
     * be stored (the client gets the error, and no generator ever sees the job); the row is the outbox entry:
     * <ul>
     * <li>not confirmed: the row is marked failed ("could not be queued"), a cancel is broadcast in case the broker
     * took the message after all, and the caller gets 503 naming the job;</li>
     * <li>confirmed but never recorded (the gateway died first, or the write failed): the row stays queued without
     * {@code published_at}, and {@code JobOutboxRelay} on any replica republishes it (a generator may then see it
     * twice: at least once).</li>
     * </ul>
     * With an idempotency key (the caller's own: keys are scoped per owner), a key held by a job of the same request
     * replays that job instead (see {@link Submission#replayed()}); held for another request, it is refused. The job
     * belongs to the caller's owner; {@link SubmissionQuota} decides first, in the INSERT's transaction, whether the
     * owner may submit it (a replay is not a new submission, so it is neither counted nor refused).
     */
    public Uni<Submission> submit(SubmitJobRequest request, Deadlines deadlines, Optional<IdempotencyKey> key,
                                  Caller caller) {
        Job job = newJob(request, deadlines, caller.owner());
        if (quota.enforced()) {
            return timed(insertTime, store.insertQueued(job, key, idempotencyKeyLifetime, quota, caller))
                    .flatMap(inserted -> inserted ? publish(job, key) : replay(key.get(), request, deadlines, caller));
        }
        if (key.isEmpty()) {
            return timed(insertTime, store.insertQueued(job).replaceWith(true)).flatMap(ignored -> publish(job, key));
        }
        return timed(insertTime, store.insertQueued(job, key.get(), idempotencyKeyLifetime))
                .flatMap(inserted -> inserted ? publish(job, key) : replay(key.get(), request, deadlines, caller));
    }

    /** Times {@code operation} from subscription (a Uni starts when subscribed) to its item. */
    private static <T> Uni<T> timed(Timer timer, Uni<T> operation) {
        return Uni.createFrom().deferred(() -> {
            long start = System.nanoTime();
            return operation.invoke(() -> timer.record(System.nanoTime() - start, TimeUnit.NANOSECONDS));
        });
    }

    private Uni<Submission> publish(Job job, Optional<IdempotencyKey> key) {
        return generators.requestGeneration(job.toGenerationRequested())
                .onFailure().recoverWithUni(failure -> markUnqueued(job, key, failure).replaceWithVoid())
                .invoke(() -> confirmations.record(job.id))
                .flatMap(ignored -> {
                    submitted.increment();
                    return estimates.submitted(job).map(annotated -> new Submission(annotated, false));
                });
    }

    /** The key is held: the original job if the request is the same, else a refusal. */
    private Uni<Submission> replay(IdempotencyKey key, SubmitJobRequest request, Deadlines deadlines,
                                   Caller caller) {
        return store.findIdempotencyKey(key).flatMap(held -> {
            if (held.isEmpty()) {
                // Released in between: the first submission with this key was refused. This one is new.
                return submit(request, deadlines, Optional.of(key), caller);
            }
            if (!held.get().requestHash().equals(key.requestHash())) {
                return Uni.createFrom().failure(new JobException.IdempotencyKeyReused(held.get().jobId()));
            }
            replayed.increment();
            return read(held.get().jobId(), caller).map(original -> new Submission(original, true));
        });
    }

    /**
     * The answer to a submission.
     *
     * @param replayed whether {@code job} is the original job of an idempotency key rather than a new one
     */
    public record Submission(Job job, boolean replayed) {
    }

    /** Expired idempotency keys are also ignored when claimed; deleting them keeps the table small. */
    void forgetExpiredKeys(@Observes StartupEvent event, Vertx vertx) {
        vertx.setPeriodic(KEY_CLEANUP_INTERVAL.toMillis(), id -> store
                .deleteExpiredIdempotencyKeys(idempotencyKeyLifetime).subscribe().with(count -> LOG.debugf("Deleted %d expired idempotency keys", count),
                        failure -> LOG.debugf("Expired idempotency keys not deleted now: %s", failure.getMessage())));
    }

    /**
     * The stored job if {@code caller} may see it (its owner, or an admin); otherwise {@link JobException.NotFound},
     * exactly as for an unknown id, so that another owner's job ids reveal nothing. No ORM session: one prepared
     * statement on the reactive pool. Every caller-facing access to a job by id goes through here.
     */
    public Uni<Job> findVisible(UUID id, Caller caller) {
        return visibleTo(caller, id, store.find(id));
    }

    /** The job {@code found} (null: none), failing with NotFound unless {@code caller} sees it. */
    private static Uni<Job> visibleTo(Caller caller, UUID id, Uni<Job> found) {
        return found.map(job -> job != null && caller.sees(job.owner) ? job : null)
                .onItem().ifNull().failWith(() -> new JobException.NotFound(id));
    }

    /** The job for a read-only answer, as {@code caller} may see it ({@link #findVisible}). */
    public Uni<Job> read(UUID id, Caller caller) {
        return findVisible(id, caller).flatMap(this::annotated);
    }

    /** The job for a read-only answer of the gateway's own (a webhook's payload), whoever owns it. */
    public Uni<Job> read(UUID id) {
        return store.find(id).onItem().ifNull().failWith(() -> new JobException.NotFound(id)).flatMap(this::annotated);
    }

    private Uni<Job> annotated(Job job) {
        withWorkerLiveness(job);
        return withWebhookDeliveries(List.of(job)).replaceWith(job).flatMap(estimates::annotate);
    }

    /** A page of the jobs {@code caller} sees, newest first: its owner's, or every job for an admin. */
    public Uni<List<Job>> list(int page, int size, Caller caller) {
        Sort newestFirst = Sort.descending("createdAt").and("id", Sort.Direction.Descending);
        return (caller.admin() ? Job.<Job>findAll(newestFirst) : Job.<Job>find("owner", newestFirst, caller.owner()))
                .page(page, size).list().map(jobs -> {
                    jobs.forEach(this::withWorkerLiveness);
                    return jobs;
                })
                .call(this::withWebhookDeliveries)
                .flatMap(estimates::annotate);
    }

    /** Where the webhook deliveries of these jobs stand (one query, only for jobs that have a webhook). */
    private Uni<Void> withWebhookDeliveries(List<Job> jobs) {
        List<Job> withWebhook = jobs.stream().filter(job -> job.webhookUrl != null).toList();
        if (withWebhook.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return webhookDeliveries.of(withWebhook.stream().map(job -> job.id).toList())
                .invoke(byJob -> withWebhook.forEach(job -> job.webhookDeliveries = byJob.getOrDefault(job.id,
                        List.of())))
                .replaceWithVoid();
    }

    /** Whether a running job's worker is lost, from this replica's heartbeats (nothing stored). */
    private Job withWorkerLiveness(Job job) {
        job.workerLost = workers.lost(job.status, job.workerId, job.updatedAt);
        return job;
    }

    /** How many jobs {@code caller} sees (the total of {@link #list}). */
    public Uni<Long> count(Caller caller) {
        return caller.admin() ? Job.count() : Job.count("owner", caller.owner());
    }

    /**
     * Records the cancel request and broadcasts it to every generator. The job ends {@code cancelled} when
     * a generator confirms; one that takes the job later is told again when it reports RUNNING.
     */
    public Uni<Job> cancel(UUID id, Caller caller) {
        // the managed entity (to update it), under the same visibility rule as findVisible
        return Panache.withTransaction(() -> visibleTo(caller, id, Job.findById(id)).invoke(job -> {
                    if (!JobStateMachine.canCancel(job.status)) {
                        throw new JobException.AlreadyFinished(id, job.status);
                    }
                    job.cancelRequested = true;
                    job.updatedAt = Instant.now();
                }))
                .call(job -> withWebhookDeliveries(List.of(job)))
                .call(job -> generators.requestCancel(id)
                        .onFailure().invoke(failure -> LOG.warnf(
                                "Cancel of job %s is stored but not broadcast yet (%s); it is re-sent when the job "
                                        + "reports progress", id, failure.getMessage()))
                        .onFailure().recoverWithNull())
                .flatMap(estimates::annotate);
    }

    /**
     * The broker did not confirm the job: fails its row, frees its idempotency key (a retry makes a new job) and
     * broadcasts a cancel, since a timed-out publish may still reach the broker.
     */
    private Uni<Job> markUnqueued(Job job, Optional<IdempotencyKey> key, Throwable failure) {
        unqueued.increment();
        String reason = "The job could not be queued: the message broker did not accept it ("
                + failure.getMessage() + ").";
        if (failure instanceof JobCommands.BrokerUnreachable) {
            // a known outage, logged once by the publisher with the count of refusals: not one line per request
            LOG.debugf("Job %s could not be queued: %s", job.id, failure.getMessage());
        } else {
            LOG.errorf("Job %s could not be queued: %s", job.id, failure.getMessage());
        }
        Uni<Void> release = key.map(k -> store.releaseIdempotencyKey(k, job.id)).orElse(Uni.createFrom().voidItem());
        return store.markUnqueued(job.id, reason)
                .chain(() -> release)
                .onFailure().invoke(e -> LOG.errorf(e, "Job %s could not be marked failed", job.id))
                .onFailure().recoverWithNull()
                .chain(() -> generators.requestCancel(job.id).onFailure().recoverWithNull())
                .chain(() -> Uni.createFrom().failure(new JobException.NotQueued(job.id, reason, failure)));
    }

    private static Job newJob(SubmitJobRequest request, Deadlines deadlines, String owner) {
        Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS); // what PostgreSQL stores
        Job job = new Job();
        job.id = UUID.randomUUID();
        job.owner = owner;
        job.status = JobStateMachine.INITIAL;
        job.prompt = request.prompt();
        job.negativePrompt = request.negativePrompt();
        job.numSteps = request.numSteps() != null ? request.numSteps() : SubmitJobRequest.DEFAULT_NUM_STEPS;
        job.guidanceScale = request.guidanceScale() != null ? request.guidanceScale()
                : SubmitJobRequest.DEFAULT_GUIDANCE_SCALE;
        job.width = request.width();
        job.height = request.height();
        job.scheduler = request.scheduler();
        // Any non-negative long: 0 .. 2^63-1.
        job.seed = request.seed() != null ? request.seed() : ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE;
        job.numImages = request.numImages() != null ? request.numImages() : SubmitJobRequest.DEFAULT_NUM_IMAGES;
        job.totalSteps = job.numSteps;
        job.queueTimeoutSeconds = deadlines.queueTimeoutSeconds();
        job.runTimeoutSeconds = deadlines.runTimeoutSeconds();
        if (request.webhook() != null) {
            job.webhookUrl = request.webhook().url();
            job.webhookEvents = WebhookEvent.stored(request.webhook().events());
        }
        job.previews = Boolean.TRUE.equals(request.previews());
        job.createdAt = now;
        job.updatedAt = now;
        return job;
    }
}
