package io.texttoimage.gateway.events;

import io.texttoimage.gateway.config.GatewayConfig;
import io.texttoimage.gateway.job.JobStatus;
import io.texttoimage.gateway.job.JobStore;
import io.texttoimage.gateway.job.QueueEstimates;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.sse.Sse;
import jakarta.ws.rs.sse.SseBroadcaster;
import jakarta.ws.rs.sse.SseEventSink;
import org.jboss.logging.Logger;

import java.util.UUID;

/**
 * Runs the SSE stream of one job: live subscription first, then the stored state, then heartbeats.
 *
 * <p>The stream starts from the newer of the stored row and the last event this replica broadcast for the job: the
 * row's progress is written at most once per flush interval, and a client that connects between two events must
 * not wait for the next one to learn where the job is.
 *
 * <p>Quarkus REST accepts the request and sends the response headers (the {@link SseEventSink}); the events
 * themselves are written straight to the Vert.x response as bytes prepared once per job event. Building each
 * event again per subscriber through the JAX-RS writers allocated about 60 % of everything the gateway allocated
 * while fanning out to a thousand streams, and the garbage collections it caused set the tail of the delivery delay.
 */
@ApplicationScoped
public class JobEventStreams {
    private static final Logger LOG = Logger.getLogger(JobEventStreams.class);

    private final JobEventBroadcaster broadcaster;
    private final JobStore store;
    private final Vertx vertx;
    private final GatewayConfig config;
    private final QueueEstimates estimates;
    private final QueueEvents queueEvents;

    public JobEventStreams(JobEventBroadcaster broadcaster, JobStore store, Vertx vertx, GatewayConfig config,
                           QueueEstimates estimates, QueueEvents queueEvents) {
        this.broadcaster = broadcaster;
        this.store = store;
        this.vertx = vertx;
        this.config = config;
        this.estimates = estimates;
        this.queueEvents = queueEvents;
    }

    /**
     * Starts streaming; call on the request's event loop, from the resource method (the headers are sent right after
     * it returns, before anything here is written).
     *
     * @param resumeAfterSequence the client's Last-Event-ID, or -1
     */
    public void stream(UUID jobId, long resumeAfterSequence, SseEventSink sink, Sse sse, HttpServerResponse response) {
        stream(jobId, resumeAfterSequence, true, sink, sse, response);
    }

    /**
     * As {@link #stream(UUID, long, SseEventSink, Sse, HttpServerResponse)}; {@code previews} false leaves out the
     * job's {@code preview} events.
     */
    public void stream(UUID jobId, long resumeAfterSequence, boolean previews, SseEventSink sink, Sse sse,
                       HttpServerResponse response) {
        Context context = Vertx.currentContext();
        SseOutput output = new SseOutput() {
            @Override
            public boolean isClosed() {
                return sink.isClosed() || response.closed() || response.ended();
            }

            @Override
            public void write(Buffer event) {
                response.write(event);
            }

            @Override
            public void close() {
                sink.close();
            }
        };
        long[] timers = {-1, -1};
        Runnable[] unsubscribe = {() -> { }};
        JobEventStream stream = new JobEventStream(output, resumeAfterSequence, previews,
                view -> broadcaster.frame(JobEventView.HEARTBEAT, view), () -> {
                    unsubscribe[0].run();
                    vertx.cancelTimer(timers[0]);
                    vertx.cancelTimer(timers[1]);
                });
        // Deliver on the stream's own event loop: fanning one event out to many streams is spread over all event
        // loops instead of the broker consumer's one thread, and each write stays on its connection's thread.
        unsubscribe[0] = broadcaster.subscribe(jobId, context == null ? stream::onLiveEvent
                : frame -> context.runOnContext(ignored -> stream.onLiveEvent(frame)));
        // A one-sink JAX-RS broadcaster, only for its close notification: the listener is dropped as soon as the
        // client's connection closes, not at the next event or heartbeat.
        SseBroadcaster closeWatch = sse.newBroadcaster();
        closeWatch.onClose(closed -> stream.onClientGone());
        closeWatch.register(sink);
        // What this replica already broadcast of the job, in case the stored row lags behind (held back and merged
        // with the stored state by sequence, like any live event).
        SseFrame seen = broadcaster.latest(jobId);
        if (seen != null) {
            stream.onLiveEvent(seen);
        }
        // The newest preview of a running job, so that a stream opening between two previews shows one at once.
        SseFrame preview = broadcaster.latestPreview(jobId);
        if (preview != null) {
            stream.onLiveEvent(preview);
        }
        timers[0] = vertx.setPeriodic(Math.max(100, config.sseHeartbeat().toMillis()), id -> stream.heartbeat());
        long recheck = Math.max(100, config.sseRecheckInterval().toMillis());
        timers[1] = vertx.setPeriodic(recheck, id -> recheckIfQuiet(jobId, stream, context, recheck));
        store.currentState(jobId).subscribe().with(
                // Back on the request's own event loop, in order with the live events, and after the headers.
                state -> afterHeaders(context, response, 0, () -> {
                    if (state == null) {
                        stream.onNoState();
                    } else {
                        JobEventView view = JobEventView.of(state);
                        stream.onCurrentState(broadcaster.frame(view.status(), view));
                        if (state.status() == JobStatus.QUEUED) {
                            sendFirstQueueEvent(jobId, stream, context);
                        }
                    }
                }),
                failure -> afterHeaders(context, response, 0, () -> {
                    LOG.warnf("Could not read the state of job %s for its event stream: %s", jobId,
                            failure.getMessage());
                    stream.onNoState();
                }));
    }

    /** A queued job's stream hears where the job stands in line right after its state, not at the next change. */
    private void sendFirstQueueEvent(UUID jobId, JobEventStream stream, Context context) {
        estimates.forecast(jobId).subscribe().with(forecast -> {
            if (forecast != null) {
                SseFrame frame = queueEvents.first(jobId, forecast);
                if (context == null) {
                    stream.onLiveEvent(frame);
                } else {
                    context.runOnContext(ignored -> stream.onLiveEvent(frame));
                }
            }
        }, failure -> LOG.debugf("No queue event for job %s now: %s", jobId, failure.getMessage()));
    }

    /**
     * A stream that has heard nothing for a recheck interval reads the stored state again and sends it if it is newer
     * (by sequence): a job that ended while this replica's live queue missed its events (the replica restarted, or
     * the client reconnected to it mid-way) still ends its stream, with the real terminal state. Streams that receive
     * events (every running job sends progress) never query.
     */
    private void recheckIfQuiet(UUID jobId, JobEventStream stream, Context context, long intervalMs) {
        if (!stream.isQuietFor(intervalMs * 1_000_000L)) {
            return;
        }
        store.currentState(jobId).subscribe().with(state -> {
            if (state != null) {
                JobEventView view = JobEventView.of(state);
                SseFrame frame = broadcaster.frame(view.status(), view);
                if (context == null) {
                    stream.onLiveEvent(frame);
                } else {
                    context.runOnContext(ignored -> stream.onLiveEvent(frame));
                }
            }
        }, failure -> LOG.debugf("Recheck of job %s for its event stream failed: %s", jobId, failure.getMessage()));
    }

    /**
     * Runs {@code action} on the stream's context once the response headers are out. The first write of a stream is
     * its current state (live events are held back until then); writing before Quarkus REST has sent the SSE headers
     * would commit the response without them. On the event loop they are sent in the same task as the resource
     * method, so one hop suffices; the retries only guard against a slower path.
     */
    private void afterHeaders(Context context, HttpServerResponse response, int attempt, Runnable action) {
        if (context == null) {
            action.run();
            return;
        }
        context.runOnContext(ignored -> {
            if (response.headWritten() || response.closed() || attempt >= 200) {
                action.run();
            } else {
                vertx.setTimer(10, id -> afterHeaders(context, response, attempt + 1, action));
            }
        });
    }
}
