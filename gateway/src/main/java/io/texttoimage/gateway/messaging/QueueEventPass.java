package io.texttoimage.gateway.messaging;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.texttoimage.gateway.events.QueueEvents;
import io.texttoimage.gateway.job.QueueEstimates;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.UUID;

/**
 * Every second, on each replica: the forecasts of every job whose stream here started queued ({@link
 * QueueEvents#watchedJobs}), from one read of the queue shared by all of them ({@link QueueEstimates}), handed to
 * {@link QueueEvents}, which tells the streams of the queued ones what changed. Nothing is read while no such stream
 * is open.
 */
@ApplicationScoped
public class QueueEventPass {
    private static final Logger LOG = Logger.getLogger(QueueEventPass.class);
    static final Duration INTERVAL = Duration.ofSeconds(1);

    private final QueueEstimates estimates;
    private final QueueEvents queueEvents;
    private final PeriodicPass<Integer> passes;

    public QueueEventPass(QueueEstimates estimates, QueueEvents queueEvents) {
        this.estimates = estimates;
        this.queueEvents = queueEvents;
        this.passes = new PeriodicPass<>("Queue events", LOG, 0, INTERVAL.multipliedBy(5), this::once);
    }

    void start(@Observes StartupEvent event, Vertx vertx) {
        passes.start(vertx, INTERVAL);
    }

    void stop(@Observes ShutdownEvent event, Vertx vertx) {
        passes.stop(vertx);
    }

    /** One pass; yields the number of jobs whose streams were told. */
    private Uni<Integer> once() {
        Set<UUID> followed = queueEvents.watchedJobs();
        if (followed.isEmpty()) {
            return Uni.createFrom().item(0);
        }
        return estimates.forecasts(followed).map(forecasts -> queueEvents.update(forecasts, Instant.now()));
    }
}
