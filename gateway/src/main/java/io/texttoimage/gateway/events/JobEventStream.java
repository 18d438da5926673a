package io.texttoimage.gateway.events;

import io.texttoimage.gateway.job.JobStateMachine;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;

/**
 * One client's SSE stream of one job. It is registered for live events <em>before</em> the current state
 * is read, so nothing published in between is lost: live events are held back until the state has been
 * sent, and every event whose sequence is not above the last one sent (or the client's Last-Event-ID)
 * is dropped as a duplicate ({@link JobStateMachine#onStream}). The stream ends after the first terminal event, or
 * when the client goes (told by the connection's close, and checked again before every write); {@code onEnd} then
 * runs once.
 */
final class JobEventStream {
    private final SseOutput output;
    private final Function<JobEventView, SseFrame> heartbeatFrame;
    private final Runnable onEnd;
    /** Whether this stream sends {@code preview} events (the client did not ask {@code ?previews=false}). */
    private final boolean previews;
    /** The newest preview heard before the current state was sent: sent right after it. */
    private SseFrame pendingPreview;
    private long lastSentSequence;
    private JobEventView lastView;
    private List<SseFrame> heldBack = new ArrayList<>();
    private boolean ended;
    /** When the client was last sent an event (not a heartbeat). */
    private long lastEventNanos = System.nanoTime();

    /** @param resumeAfterSequence the client's Last-Event-ID, or -1 for a new client */
    JobEventStream(SseOutput output, long resumeAfterSequence, Function<JobEventView, SseFrame> heartbeatFrame,
                   Runnable onEnd) {
        this(output, resumeAfterSequence, true, heartbeatFrame, onEnd);
    }

    /** @param previews whether to send the job's {@code preview} events */
    JobEventStream(SseOutput output, long resumeAfterSequence, boolean previews,
                   Function<JobEventView, SseFrame> heartbeatFrame, Runnable onEnd) {
        this.previews = previews;
        this.output = output;
        this.lastSentSequence = resumeAfterSequence;
        this.heartbeatFrame = heartbeatFrame;
        this.onEnd = onEnd;
    }

    synchronized void onLiveEvent(SseFrame frame) {
        if (isPreview(frame)) {
            if (!previews) {
                return;
            }
            if (heldBack != null) {
                pendingPreview = frame; // only the newest one matters
                return;
            }
        }
        if (frame.notice()) {
            // Only for a stream that has sent the current state and is still open; a later one reads the record. A
            // queue notice only while the job is queued as far as this stream knows (it may have started meanwhile).
            boolean stale = QueueEvents.NAME.equals(frame.name()) && (lastView == null
                    || !"queued".equals(lastView.status()));
            if (!ended && heldBack == null && !stale && !output.isClosed()) {
                output.write(frame.wire());
            }
            return;
        }
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
        if (pendingPreview != null && !ended && !output.isClosed()) {
            output.write(pendingPreview.wire());
        }
        pendingPreview = null;
    }

    private static boolean isPreview(SseFrame frame) {
        return frame.notice() && JobEventBroadcaster.PREVIEW_EVENT.equals(frame.name());
    }

    /** The client went away (its connection closed): stop, nothing more can be written. */
    synchronized void onClientGone() {
        end(false);
    }

    /** The job vanished before its state could be read: nothing to stream. */
    synchronized void onNoState() {
        end(true);
    }

    synchronized void heartbeat() {
        if (ended || lastView == null || heldBack != null) {
            return;
        }
        if (output.isClosed()) {
            end(false);
            return;
        }
        // No id: a heartbeat must not move the client's Last-Event-ID.
        output.write(heartbeatFrame.apply(lastView.asHeartbeat()).wire());
    }

    private void send(SseFrame frame) {
        if (ended) {
            return;
        }
        if (output.isClosed()) {
            end(false);
            return;
        }
        switch (JobStateMachine.onStream(lastSentSequence, frame.sequence(), frame.terminal())) {
            case SKIP -> { }
            case END -> end(true);
            case SEND -> write(frame);
            case SEND_AND_END -> {
                write(frame);
                end(true);
            }
        }
    }

    /**
     * Whether the stream has sent nothing but heartbeats for this long since its current state: then its live
     * events may be lost (they reach a replica only through its own queue, which did not exist while it was down).
     */
    synchronized boolean isQuietFor(long nanos) {
        return !ended && heldBack == null && System.nanoTime() - lastEventNanos >= nanos;
    }

    synchronized boolean isEnded() {
        return ended;
    }

    private void write(SseFrame frame) {
        lastEventNanos = System.nanoTime();
        lastSentSequence = frame.sequence();
        lastView = frame.view();
        output.write(frame.wire());
    }

    private void end(boolean closeOutput) {
        if (ended) {
            return;
        }
        ended = true;
        if (closeOutput) {
            output.close();
        }
        onEnd.run();
    }
}
