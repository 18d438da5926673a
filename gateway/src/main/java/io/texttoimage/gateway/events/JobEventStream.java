package io.texttoimage.gateway.events;

import io.smallrye.mutiny.subscription.MultiEmitter;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;

/**
 * One client's SSE stream of one job. It is registered for live events <em>before</em> the current state
 * is read, so nothing published in between is lost: live events are held back until the state has been
 * sent, and every event whose sequence is not above the last one sent (or the client's Last-Event-ID)
 * is dropped as a duplicate. The stream completes after the first terminal event.
 */
final class JobEventStream {
    private final MultiEmitter<? super OutboundSseEvent> emitter;
    private final Sse sse;
    private final Function<JobEventView, SseFrame> heartbeatFrame;
    private long lastSentSequence;
    private JobEventView lastView;
    private List<SseFrame> heldBack = new ArrayList<>();
    private boolean closed;

    /** @param resumeAfterSequence the client's Last-Event-ID, or -1 for a new client */
    JobEventStream(MultiEmitter<? super OutboundSseEvent> emitter, Sse sse, long resumeAfterSequence,
                   Function<JobEventView, SseFrame> heartbeatFrame) {
        this.emitter = emitter;
        this.sse = sse;
        this.lastSentSequence = resumeAfterSequence;
        this.heartbeatFrame = heartbeatFrame;
    }

    synchronized void onLiveEvent(SseFrame frame) {
        if (heldBack != null) {
            heldBack.add(frame);
        } else {
            send(frame);
        }
    }

    /** The job's stored state: sent first (unless the client has seen it), then the held-back live events. */
    synchronized void onCurrentState(SseFrame frame) {
        lastView = frame.view();
        send(frame);
        List<SseFrame> pending = heldBack;
        heldBack = null;
        pending.sort(Comparator.comparingLong(SseFrame::sequence));
        pending.forEach(this::send);
    }

    synchronized void heartbeat() {
        if (closed || lastView == null || heldBack != null || emitter.isCancelled()) {
            return;
        }
        // No id: a heartbeat must not move the client's Last-Event-ID.
        emitter.emit(sse.newEventBuilder()
                .name(JobEventView.HEARTBEAT)
                .mediaType(MediaType.TEXT_PLAIN_TYPE)
                .data(String.class, heartbeatFrame.apply(lastView.asHeartbeat()).json())
                .build());
    }

    private void send(SseFrame frame) {
        if (closed || emitter.isCancelled()) {
            return;
        }
        if (frame.sequence() <= lastSentSequence) {
            if (frame.terminal()) {
                // The client has already seen the end of this job: nothing more will come.
                close();
            }
            return;
        }
        lastSentSequence = frame.sequence();
        lastView = frame.view();
        emitter.emit(sse.newEventBuilder()
                .id(Long.toString(frame.sequence()))
                .name(frame.name())
                // Already JSON, serialised once for all streams: written as text, not run through Jackson again.
                .mediaType(MediaType.TEXT_PLAIN_TYPE)
                .data(String.class, frame.json())
                .build());
        if (frame.terminal()) {
            close();
        }
    }

    private void close() {
        closed = true;
        emitter.complete();
    }
}
