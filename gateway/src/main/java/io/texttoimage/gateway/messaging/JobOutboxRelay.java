package io.texttoimage.gateway.messaging;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.texttoimage.gateway.config.GatewayConfig;
import io.texttoimage.gateway.job.Job;
import io.texttoimage.gateway.job.JobStore;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The outbox relay: every {@code t2i.gateway.outbox.sweep-interval}, publishes the queued jobs whose publish was
 * never confirmed (their gateway died between INSERT and confirm, or the broker was down and the submission's own
 * failure handling did not run), so no stored job waits forever for a message that does not exist. Every replica
 * runs it; the database decides which one handles a job (row locks taken with SKIP LOCKED, see
 * {@link JobStore#republishUnconfirmed}), so a job is republished once, not once per replica. Jobs younger than
 * twice the publish timeout are left to their own submission. A job still unpublished after
 * {@code t2i.gateway.outbox.give-up-after} is failed with a reason instead.
 */
@ApplicationScoped
public class JobOutboxRelay {
    private static final Logger LOG = Logger.getLogger(JobOutboxRelay.class);
    private static final int BATCH = 100;

    private final JobStore store;
    private final JobPublisher publisher;
    private final GatewayConfig config;
    private final Counter republished;
    private final Counter givenUp;
    private final PeriodicPass<List<UUID>> passes;

    public JobOutboxRelay(JobStore store, JobPublisher publisher, GatewayConfig config, MeterRegistry registry) {
        this.store = store;
        this.publisher = publisher;
        this.config = config;
        this.republished = registry.counter("t2i.gateway.outbox.republished");
        this.givenUp = registry.counter("t2i.gateway.outbox.given.up");
        // A pass publishes at most BATCH jobs, each bounded by the publish timeout: one that takes longer is stuck
        // (a lock, a lost connection).
        this.passes = new PeriodicPass<>("Outbox", LOG, List.of(), config.publishTimeout().multipliedBy(BATCH + 2),
                this::sweepOnce);
    }

    void start(@Observes StartupEvent event, Vertx vertx) {
        passes.start(vertx, config.outbox().sweepInterval());
    }

    void stop(@Observes ShutdownEvent event, Vertx vertx) {
        passes.stop(vertx);
    }

    /** One pass (skipped while the previous one runs); yields the ids republished. */
    public Uni<List<UUID>> sweep() {
        return passes.run();
    }

    private Uni<List<UUID>> sweepOnce() {
        return giveUpOnStaleJobs()
                .chain(() -> store.republishUnconfirmed(minimumAge(), config.outbox().giveUpAfter(), BATCH,
                        this::publishAll))
                .map(outcome -> {
                    if (!outcome.published().isEmpty()) {
                        republished.increment(outcome.published().size());
                        LOG.infof("Outbox: republished %d queued job(s) whose publish was never confirmed: %s",
                                outcome.published().size(), outcome.published());
                    }
                    return outcome.published();
                });
    }

    private Uni<Void> giveUpOnStaleJobs() {
        Duration limit = config.outbox().giveUpAfter();
        return store.failUnpublishedOlderThan(limit, "The job could not be queued: the message broker did not "
                        + "confirm it within " + limit.toSeconds() + " s of its submission.")
                .invoke(ids -> {
                    if (!ids.isEmpty()) {
                        givenUp.increment(ids.size());
                        LOG.warnf("Outbox: failed %d job(s) never confirmed by the broker within %s: %s",
                                ids.size(), limit, ids);
                    }
                })
                .replaceWithVoid();
    }

    /**
     * Publishes one job after the other (each waits for its confirm) and stops at the first failure, yielding the
     * ids confirmed so far; fails only if none was, so that the transaction marks exactly what the broker has.
     */
    private Uni<List<UUID>> publishAll(List<Job> jobs) {
        List<UUID> confirmed = new ArrayList<>();
        return Multi.createFrom().iterable(jobs)
                .onItem().transformToUniAndConcatenate(job -> publisher.requestGeneration(job.toGenerationRequested())
                        .invoke(() -> confirmed.add(job.id)))
                .collect().asList()
                .replaceWith(() -> List.copyOf(confirmed))
                .onFailure(failure -> !confirmed.isEmpty()).recoverWithItem(() -> List.copyOf(confirmed));
    }

    /** Older than this, a queued job without a confirm is no longer waiting for its own submission's publish. */
    private Duration minimumAge() {
        return config.publishTimeout().multipliedBy(2);
    }
}
