package io.texttoimage.gateway.job;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.panache.common.Sort;
import io.smallrye.mutiny.Uni;
import io.texttoimage.contracts.GenerationRequested;
import io.texttoimage.gateway.api.GenerationRequest;
import io.texttoimage.gateway.messaging.JobPublisher;
import io.texttoimage.gateway.problem.ProblemException;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/** Submits and cancels jobs: the database row is the source of truth, the broker carries the commands. */
@ApplicationScoped
public class JobService {
    private static final Logger LOG = Logger.getLogger(JobService.class);

    private final JobPublisher publisher;
    private final JobEventStore store;
    private final Counter submitted;
    private final Counter unqueued;
    private final Timer insertTime;

    public JobService(JobPublisher publisher, JobEventStore store, MeterRegistry registry) {
        this.publisher = publisher;
        this.store = store;
        this.submitted = registry.counter("t2i.gateway.jobs.submitted");
        this.unqueued = registry.counter("t2i.gateway.jobs.unqueued");
        this.insertTime = registry.timer("t2i.gateway.db.insert");
    }

    /**
     * Stores the job as queued, then publishes it. The row is committed first so a generator never
     * reports on a job the database does not know; if the broker does not confirm the message the job is
     * marked failed and the caller gets 503, so nothing is silently lost.
     */
    public Uni<GeneratedImage> submit(GenerationRequest request) {
        GeneratedImage job = newJob(request);
        long start = System.nanoTime();
        return store.insertQueued(job)
                .invoke(() -> insertTime.record(System.nanoTime() - start, TimeUnit.NANOSECONDS))
                .replaceWith(job)
                .call(saved -> publisher.requestGeneration(toMessage(saved))
                        .onFailure().recoverWithUni(failure -> markUnqueued(saved, failure)))
                .invoke(() -> submitted.increment());
    }

    public Uni<GeneratedImage> find(UUID id) {
        return GeneratedImage.<GeneratedImage>findById(id)
                .onItem().ifNull().failWith(() -> ProblemException.notFound(id));
    }

    public Uni<List<GeneratedImage>> list(int page, int size) {
        return GeneratedImage.<GeneratedImage>findAll(Sort.descending("createdAt").and("id", Sort.Direction.Descending))
                .page(page, size).list();
    }

    public Uni<Long> count() {
        return GeneratedImage.count();
    }

    /**
     * Records the cancel request and broadcasts it to every generator. The job ends {@code cancelled} when
     * a generator confirms; one that takes the job later is told again when it reports RUNNING.
     */
    public Uni<GeneratedImage> cancel(UUID id) {
        return Panache.withTransaction(() -> find(id).invoke(job -> {
                    if (job.status.isTerminal()) {
                        throw new ProblemException(409, "job-finished", "Job already finished",
                                "Job " + id + " is already " + job.status.apiName() + " and cannot be cancelled.");
                    }
                    job.cancelRequested = true;
                    job.updatedAt = Instant.now();
                }))
                .call(job -> publisher.requestCancel(id)
                        .onFailure().invoke(failure -> LOG.warnf(
                                "Cancel of job %s is stored but not broadcast yet (%s); it is re-sent when the job "
                                        + "reports progress", id, failure.getMessage()))
                        .onFailure().recoverWithNull());
    }

    private Uni<Void> markUnqueued(GeneratedImage job, Throwable failure) {
        unqueued.increment();
        String reason = "The job could not be queued: the message broker did not accept it ("
                + failure.getMessage() + ").";
        LOG.errorf("Job %s could not be queued: %s", job.id, failure.getMessage());
        return store.markUnqueued(job.id, reason)
                .onFailure().invoke(e -> LOG.errorf(e, "Job %s could not be marked failed", job.id))
                .onFailure().recoverWithNull()
                .chain(() -> Uni.createFrom().failure(new ProblemException(503, "broker-unavailable",
                        "Job queue unavailable", reason + " Please retry later.", failure)));
    }

    private static GeneratedImage newJob(GenerationRequest request) {
        Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS); // what PostgreSQL stores
        GeneratedImage job = new GeneratedImage();
        job.id = UUID.randomUUID();
        job.status = JobStatus.QUEUED;
        job.prompt = request.prompt();
        job.negativePrompt = request.negativePrompt();
        job.numSteps = request.numSteps() != null ? request.numSteps() : GenerationRequest.DEFAULT_NUM_STEPS;
        job.guidanceScale = request.guidanceScale() != null ? request.guidanceScale()
                : GenerationRequest.DEFAULT_GUIDANCE_SCALE;
        job.width = request.width();
        job.height = request.height();
        job.scheduler = request.scheduler();
        // Any non-negative long: 0 .. 2^63-1.
        job.seed = request.seed() != null ? request.seed() : ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE;
        job.numImages = request.numImages() != null ? request.numImages() : GenerationRequest.DEFAULT_NUM_IMAGES;
        job.totalSteps = job.numSteps;
        job.createdAt = now;
        job.updatedAt = now;
        return job;
    }

    private static GenerationRequested toMessage(GeneratedImage job) {
        return new GenerationRequested(GenerationRequested.SCHEMA_VERSION, job.id, job.prompt, job.negativePrompt,
                job.numSteps, job.guidanceScale, job.width, job.height, job.scheduler, job.seed, job.numImages,
                job.createdAt);
    }
}
