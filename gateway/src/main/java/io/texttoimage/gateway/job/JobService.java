package io.texttoimage.gateway.job;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.panache.common.Sort;
import io.smallrye.mutiny.Uni;
import io.texttoimage.contracts.GenerationRequested;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

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

    private final JobCommands generators;
    private final JobStore store;
    private final Counter submitted;
    private final Counter unqueued;
    private final Counter unstored;
    private final Timer insertTime;

    public JobService(JobCommands generators, JobStore store, MeterRegistry registry) {
        this.generators = generators;
        this.store = store;
        this.submitted = registry.counter("t2i.gateway.jobs.submitted");
        this.unqueued = registry.counter("t2i.gateway.jobs.unqueued");
        this.unstored = registry.counter("t2i.gateway.jobs.unstored");
        this.insertTime = registry.timer("t2i.gateway.db.insert");
    }

    /**
     * Stores the job as queued and publishes it <em>at the same time</em>, and answers only when both are durable
     * (the INSERT committed, the broker's publisher confirm received), so a submission waits for the slower of
     * the two instead of their sum. When one of them fails the other is compensated and the caller gets an error,
     * so nothing is silently lost:
     * <ul>
     * <li>stored but not confirmed: the row is marked failed ("could not be queued") and the caller gets 503;</li>
     * <li>confirmed but not stored: a cancel for the job is broadcast, so a generator that takes it skips it (or
     * stops it), and the caller gets the insert's error (500). Should a generator still run it, its events find no
     * row and are dropped (see {@code JobEventPersister}); nobody was told the job exists.</li>
     * </ul>
     * A generator may take the job before the INSERT has committed; the event consumer retries events of a job
     * whose row is not there yet for a short while (see {@code JobEventPersister}).
     */
    public Uni<Job> submit(SubmitJobRequest request) {
        Job job = newJob(request);
        long start = System.nanoTime();
        Uni<Optional<Throwable>> inserted = store.insertQueued(job)
                .invoke(() -> insertTime.record(System.nanoTime() - start, TimeUnit.NANOSECONDS))
                .onItemOrFailure().transform((ignored, failure) -> Optional.ofNullable(failure));
        Uni<Optional<Throwable>> published = generators.requestGeneration(toMessage(job))
                .onItemOrFailure().transform((ignored, failure) -> Optional.ofNullable(failure));
        return Uni.combine().all().unis(inserted, published).asTuple().flatMap(outcome -> {
            Optional<Throwable> insertFailure = outcome.getItem1();
            Optional<Throwable> publishFailure = outcome.getItem2();
            if (insertFailure.isEmpty() && publishFailure.isEmpty()) {
                submitted.increment();
                return Uni.createFrom().item(job);
            }
            if (insertFailure.isEmpty()) {
                return markUnqueued(job, publishFailure.get());
            }
            if (publishFailure.isEmpty()) {
                return withdraw(job, insertFailure.get());
            }
            return Uni.createFrom().failure(insertFailure.get());
        });
    }

    /** The job is in the broker but not in the database: tell the generators to skip it, then report the failure. */
    private Uni<Job> withdraw(Job job, Throwable insertFailure) {
        unstored.increment();
        LOG.errorf("Job %s was queued but could not be stored (%s); broadcasting its cancel", job.id,
                insertFailure.getMessage());
        return generators.requestCancel(job.id)
                .onFailure().invoke(e -> LOG.errorf("The cancel of unstored job %s could not be broadcast (%s); "
                        + "a generator may run it, and its events will be dropped", job.id, e.getMessage()))
                .onFailure().recoverWithNull()
                .chain(() -> Uni.createFrom().failure(insertFailure));
    }

    public Uni<Job> find(UUID id) {
        return Job.<Job>findById(id)
                .onItem().ifNull().failWith(() -> new JobException.NotFound(id));
    }

    /** The job for a read-only answer (no ORM session: one prepared statement on the reactive pool). */
    public Uni<Job> read(UUID id) {
        return store.find(id).onItem().ifNull().failWith(() -> new JobException.NotFound(id));
    }

    public Uni<List<Job>> list(int page, int size) {
        return Job.<Job>findAll(Sort.descending("createdAt").and("id", Sort.Direction.Descending))
                .page(page, size).list();
    }

    public Uni<Long> count() {
        return Job.count();
    }

    /**
     * Records the cancel request and broadcasts it to every generator. The job ends {@code cancelled} when
     * a generator confirms; one that takes the job later is told again when it reports RUNNING.
     */
    public Uni<Job> cancel(UUID id) {
        return Panache.withTransaction(() -> find(id).invoke(job -> {
                    if (!JobStateMachine.canCancel(job.status)) {
                        throw new JobException.AlreadyFinished(id, job.status);
                    }
                    job.cancelRequested = true;
                    job.updatedAt = Instant.now();
                }))
                .call(job -> generators.requestCancel(id)
                        .onFailure().invoke(failure -> LOG.warnf(
                                "Cancel of job %s is stored but not broadcast yet (%s); it is re-sent when the job "
                                        + "reports progress", id, failure.getMessage()))
                        .onFailure().recoverWithNull());
    }

    private Uni<Job> markUnqueued(Job job, Throwable failure) {
        unqueued.increment();
        String reason = "The job could not be queued: the message broker did not accept it ("
                + failure.getMessage() + ").";
        LOG.errorf("Job %s could not be queued: %s", job.id, failure.getMessage());
        return store.markUnqueued(job.id, reason)
                .onFailure().invoke(e -> LOG.errorf(e, "Job %s could not be marked failed", job.id))
                .onFailure().recoverWithNull()
                .chain(() -> Uni.createFrom().failure(new JobException.NotQueued(reason, failure)));
    }

    private static Job newJob(SubmitJobRequest request) {
        Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS); // what PostgreSQL stores
        Job job = new Job();
        job.id = UUID.randomUUID();
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
        job.createdAt = now;
        job.updatedAt = now;
        return job;
    }

    private static GenerationRequested toMessage(Job job) {
        return new GenerationRequested(GenerationRequested.SCHEMA_VERSION, job.id, job.prompt, job.negativePrompt,
                job.numSteps, job.guidanceScale, job.width, job.height, job.scheduler, job.seed, job.numImages,
                job.createdAt);
    }
}
