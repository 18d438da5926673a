package io.texttoimage.gateway.messaging;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.texttoimage.contracts.JobEvent;
import io.texttoimage.contracts.JobEventType;
import io.texttoimage.gateway.config.GatewayConfig;
import io.texttoimage.gateway.job.JobStateMachine;
import io.texttoimage.gateway.job.JobStore;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Keeps PostgreSQL in step with the job events, from the durable queue {@code <prefix>.job-events.persist}
 * that all gateway replicas share (each event is written by exactly one replica).
 * <ul>
 * <li>RUNNING and terminal events are written at once, and acknowledged only after the write.</li>
 * <li>PROGRESS events are coalesced: only the newest per job is kept in memory and all pending jobs are
 * written by one statement every {@code t2i.gateway.progress-flush-interval}, so the database sees at most
 * one write per job per interval however many steps or clients there are. They are acknowledged when
 * buffered: losing one (replica crash) only delays the stored step until the next event.</li>
 * <li>A RUNNING or PROGRESS event of a job whose cancel was requested re-sends the cancel, so a generator
 * that took the job after the first broadcast still stops it.</li>
 * </ul>
 */
@ApplicationScoped
public class JobEventPersister {
    private static final Logger LOG = Logger.getLogger(JobEventPersister.class);

    /** How long an event of a job without a row is retried (see {@link #retryIfNotStoredYet}). */
    static final Duration NOT_STORED_RETRY_WINDOW = Duration.ofSeconds(10);
    private static final Duration NOT_STORED_RETRY_PAUSE = Duration.ofMillis(50);

    private final Map<UUID, JobEvent> pendingProgress = new ConcurrentHashMap<>();
    private final AtomicBoolean flushing = new AtomicBoolean();
    private final JobStore store;
    private final JobPublisher publisher;
    private final JsonCodec codec;
    private final GatewayConfig config;
    private final Counter progressWrites;
    private final Counter progressEvents;
    private long timerId = -1;

    public JobEventPersister(JobStore store, JobPublisher publisher, JsonCodec codec, GatewayConfig config,
                             MeterRegistry registry) {
        this.store = store;
        this.publisher = publisher;
        this.codec = codec;
        this.config = config;
        this.progressEvents = registry.counter("t2i.gateway.progress.events");
        this.progressWrites = registry.counter("t2i.gateway.progress.rows.written");
    }

    void startFlushing(@Observes StartupEvent event, Vertx vertx) {
        long intervalMs = Math.max(10, config.progressFlushInterval().toMillis());
        timerId = vertx.setPeriodic(intervalMs, id -> flushProgress().subscribe().with(ignored -> { }));
    }

    void flushOnShutdown(@Observes ShutdownEvent event, Vertx vertx) {
        if (timerId >= 0) {
            vertx.cancelTimer(timerId);
        }
        flushProgress().await().atMost(Duration.ofSeconds(5));
    }

    /**
     * One message of {@code <prefix>.job-events.persist} ({@link JobEventQueue} delivers them one at a time). The
     * returned Uni completes when the message may be acknowledged and fails when it must come back later.
     */
    public Uni<Void> onEvent(byte[] body) {
        JobEvent event;
        try {
            event = codec.decode(body, JobEvent.class);
        } catch (RuntimeException e) {
            // A message nobody can read must not block the queue: log it and drop it.
            LOG.warnf("Dropping unreadable job event: %s", e.getMessage());
            return Uni.createFrom().voidItem();
        }
        return apply(event);
    }

    private Uni<Void> apply(JobEvent event) {
        if (event.jobId() == null || event.type() == null) {
            // not the whole event: its prompt_truncation quotes the prompt, which the gateway never logs
            LOG.warnf("Dropping incomplete job event (job %s, type %s, sequence %d)", event.jobId(), event.type(),
                    event.sequence());
            return Uni.createFrom().voidItem();
        }
        if (!JobStateMachine.changesStoredJob(event.type())) {
            return Uni.createFrom().voidItem(); // QUEUED: the gateway stored the job as queued itself
        }
        if (JobStateMachine.endsJob(event.type())) {
            return applyTerminal(event);
        }
        return event.type() == JobEventType.PROGRESS ? bufferProgress(event) : applyRunning(event);
    }

    /** Only the newest PROGRESS of each job is kept until the next flush: a newer one supersedes it. */
    private Uni<Void> bufferProgress(JobEvent event) {
        progressEvents.increment();
        pendingProgress.merge(event.jobId(), event, (old, neu) -> neu.sequence() > old.sequence() ? neu : old);
        return Uni.createFrom().voidItem();
    }

    private Uni<Void> applyRunning(JobEvent event) {
        return store.applyRunning(event)
                .call(cancelRequested -> cancelRequested.isPresent() ? Uni.createFrom().voidItem()
                        : retryIfNotStoredYet(event))
                .invoke(cancelRequested -> {
                    if (cancelRequested.orElse(false)) {
                        resendCancel(event.jobId());
                    }
                })
                .replaceWithVoid();
    }

    private Uni<Void> applyTerminal(JobEvent event) {
        pendingProgress.remove(event.jobId()); // the end writes the final step itself
        return store.applyTerminal(event)
                .call(changed -> changed ? Uni.createFrom().voidItem() : retryIfNotStoredYet(event))
                .replaceWithVoid();
    }

    /**
     * An event that changed no row: a duplicate or stale one (ignored), or one of a job whose INSERT has not
     * committed yet. The gateway stores and publishes a job concurrently, so a fast generator can report before
     * the row exists: such an event is nacked (and redelivered by the broker) after a short pause, until the row
     * is there or the event is older than {@link #NOT_STORED_RETRY_WINDOW} (its job was never stored: the
     * submission failed, the client got an error and the cancel was broadcast), when it is dropped.
     */
    private Uni<Void> retryIfNotStoredYet(JobEvent event) {
        return store.exists(event.jobId()).flatMap(exists -> {
            if (exists) {
                return Uni.createFrom().voidItem();
            }
            Instant at = event.at();
            if (at == null || at.isBefore(Instant.now().minus(NOT_STORED_RETRY_WINDOW))) {
                LOG.warnf("Dropping %s event of unknown job %s", event.type(), event.jobId());
                return Uni.createFrom().voidItem();
            }
            return Uni.createFrom().voidItem().onItem().delayIt().by(NOT_STORED_RETRY_PAUSE)
                    .chain(() -> Uni.createFrom().failure(new IllegalStateException(
                            "job " + event.jobId() + " is not stored yet; retrying its " + event.type() + " event")));
        });
    }

    /** Writes the newest pending progress of every job in one statement (lazy: runs when subscribed). */
    Uni<Void> flushProgress() {
        return Uni.createFrom().deferred(() -> {
            if (pendingProgress.isEmpty() || !flushing.compareAndSet(false, true)) {
                return Uni.createFrom().voidItem();
            }
            List<JobEvent> batch = takePendingProgress();
            return store.applyProgress(batch, config.webhooks().progressInterval())
                    .invoke(cancelRequested -> {
                        progressWrites.increment(batch.size());
                        cancelRequested.forEach(this::resendCancel);
                    })
                    .onFailure().invoke(failure -> {
                        LOG.warnf("Progress flush of %d jobs failed, retrying next interval: %s", batch.size(),
                                failure.getMessage());
                        batch.forEach(event -> pendingProgress.merge(event.jobId(), event,
                                (newer, old) -> newer.sequence() >= old.sequence() ? newer : old));
                    })
                    .onTermination().invoke(() -> flushing.set(false))
                    .replaceWithVoid()
                    .onFailure().recoverWithNull();
        });
    }

    private List<JobEvent> takePendingProgress() {
        List<JobEvent> batch = new ArrayList<>(pendingProgress.size());
        for (UUID jobId : List.copyOf(pendingProgress.keySet())) {
            JobEvent event = pendingProgress.remove(jobId);
            if (event != null) {
                batch.add(event);
            }
        }
        return batch;
    }

    private void resendCancel(UUID jobId) {
        LOG.debugf("Job %s is still running although cancelled: sending the cancel again", jobId);
        publisher.requestCancel(jobId).subscribe().with(
                ignored -> { },
                failure -> LOG.warnf("Could not re-send the cancel of job %s: %s", jobId, failure.getMessage()));
    }
}
