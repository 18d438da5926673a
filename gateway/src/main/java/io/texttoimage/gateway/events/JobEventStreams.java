package io.texttoimage.gateway.events;

import io.smallrye.mutiny.Multi;
import io.texttoimage.gateway.config.GatewayConfig;
import io.texttoimage.gateway.job.JobEventStore;
import io.texttoimage.gateway.problem.ProblemException;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;

import java.util.UUID;

/** Builds the SSE stream of one job: live subscription first, then the stored state, then heartbeats. */
@ApplicationScoped
public class JobEventStreams {
    private final JobEventBroadcaster broadcaster;
    private final JobEventStore store;
    private final Vertx vertx;
    private final GatewayConfig config;

    public JobEventStreams(JobEventBroadcaster broadcaster, JobEventStore store, Vertx vertx, GatewayConfig config) {
        this.broadcaster = broadcaster;
        this.store = store;
        this.vertx = vertx;
        this.config = config;
    }

    /** @param resumeAfterSequence the client's Last-Event-ID, or -1 */
    public Multi<OutboundSseEvent> stream(UUID jobId, long resumeAfterSequence, Sse sse) {
        return Multi.createFrom().emitter(emitter -> {
            JobEventStream stream = new JobEventStream(emitter, sse, resumeAfterSequence,
                    view -> broadcaster.frame(JobEventView.HEARTBEAT, view));
            // Deliver on the stream's own event loop: fanning one event out to many streams is spread over all
            // event loops instead of the broker consumer's one thread, and each write stays on its connection's thread.
            Context context = Vertx.currentContext();
            Runnable unsubscribe = broadcaster.subscribe(jobId, context == null ? stream::onLiveEvent
                    : frame -> context.runOnContext(ignored -> stream.onLiveEvent(frame)));
            long heartbeatTimer = vertx.setPeriodic(Math.max(100, config.sseHeartbeat().toMillis()),
                    id -> stream.heartbeat());
            emitter.onTermination(() -> {
                unsubscribe.run();
                vertx.cancelTimer(heartbeatTimer);
            });
            store.currentState(jobId).subscribe().with(state -> {
                if (state == null) {
                    emitter.fail(ProblemException.notFound(jobId));
                } else {
                    stream.onCurrentState(broadcaster.frame(state.status(), state));
                }
            }, emitter::fail);
        });
    }
}
