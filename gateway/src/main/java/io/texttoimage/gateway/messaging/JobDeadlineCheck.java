package io.texttoimage.gateway.messaging;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.texttoimage.gateway.config.GatewayConfig;
import io.texttoimage.gateway.job.JobSnapshot;
import io.texttoimage.gateway.job.JobStore;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.util.List;

/**
 * Enforces job deadlines on the gateway side, so they hold even with no generator alive: every
 * {@code t2i.gateway.deadlines.check-interval}, one guarded UPDATE fails the jobs queued longer than their
 * {@code queue_timeout} or running longer than their {@code run_timeout} (on every replica; the database gives each
 * job to exactly one). For each, a FAILED event is published on the job-events exchange (so every replica's SSE
 * streams end with the reason, at the gateway's sequence: nothing follows it) and a cancel is broadcast (a
 * generator skips the job if it takes it later, or stops it between two steps).
 */
@ApplicationScoped
public class JobDeadlineCheck {
    private static final Logger LOG = Logger.getLogger(JobDeadlineCheck.class);

    private final JobStore store;
    private final JobPublisher publisher;
    private final GatewayConfig config;
    private final Counter expired;
    private final PeriodicPass<List<JobSnapshot>> passes;

    public JobDeadlineCheck(JobStore store, JobPublisher publisher, GatewayConfig config, MeterRegistry registry) {
        this.store = store;
        this.publisher = publisher;
        this.config = config;
        this.expired = registry.counter("t2i.gateway.jobs.expired");
        this.passes = new PeriodicPass<>("Deadline check", LOG, List.of(), null, this::checkOnce);
    }

    void start(@Observes StartupEvent event, Vertx vertx) {
        passes.start(vertx, config.deadlines().checkInterval());
    }

    void stop(@Observes ShutdownEvent event, Vertx vertx) {
        passes.stop(vertx);
    }

    /** One check (skipped while the previous one runs); yields the jobs it failed. */
    public Uni<List<JobSnapshot>> check() {
        return passes.run();
    }

    private Uni<List<JobSnapshot>> checkOnce() {
        return store.expireOverdue()
                .call(jobs -> Multi.createFrom().iterable(jobs)
                        .onItem().transformToUniAndConcatenate(this::announce)
                        .collect().asList());
    }

    /** The job is already failed in the database; tell the streams and the generators. Failures are only logged. */
    private Uni<Void> announce(JobSnapshot job) {
        expired.increment();
        LOG.infof("Job %s failed: %s", job.id(), job.error());
        return publisher.publishGatewayFailure(job.id(), job.step(), job.totalSteps(), job.error(), null)
                .chain(() -> publisher.requestCancel(job.id()))
                .onFailure().invoke(e -> LOG.warnf("Job %s: its deadline failure could not be announced (%s); "
                        + "streams learn it from the database", job.id(), e.getMessage()))
                .onFailure().recoverWithNull()
                .replaceWithVoid();
    }
}
