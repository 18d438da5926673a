package io.texttoimage.gateway.events;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.texttoimage.contracts.JobEvent;
import io.texttoimage.contracts.JobEventType;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How one SSE stream merges the stored state with live and already-seen events (no server needed). */
class JobEventStreamTest {
    private static final UUID JOB = UUID.randomUUID();

    /** Records what the stream writes. */
    private static final class RecordingOutput implements SseOutput {
        final List<String> events = new ArrayList<>();
        boolean closed;

        @Override
        public boolean isClosed() {
            return closed;
        }

        @Override
        public void write(Buffer event) {
            events.add(event.toString(StandardCharsets.UTF_8));
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    private static SseFrame frame(String status, long sequence, int step) {
        JobEventView view = new JobEventView(JOB, status, step, 10, step * 10, List.of(), null, sequence, null);
        return SseFrame.of(status, view, "{\"status\":\"" + status + "\",\"step\":" + step + "}", true);
    }

    @Test
    void anEventSeenBeforeTheStoredStateIsSentAfterItWhenNewer() {
        RecordingOutput output = new RecordingOutput();
        int[] ended = {0};
        JobEventStream stream = new JobEventStream(output, -1, view -> null, () -> ended[0]++);
        stream.onLiveEvent(frame("progress", 5, 3));   // already broadcast; the row still says step 0
        stream.onCurrentState(frame("running", 2, 0));
        assertEquals(List.of("id: 2\nevent: running\ndata: {\"status\":\"running\",\"step\":0}\n\n",
                "id: 5\nevent: progress\ndata: {\"status\":\"progress\",\"step\":3}\n\n"), output.events);
        assertEquals(0, ended[0]);
    }

    @Test
    void anOlderSeenEventThanTheStoredStateIsDropped() {
        RecordingOutput output = new RecordingOutput();
        JobEventStream stream = new JobEventStream(output, -1, view -> null, () -> { });
        stream.onLiveEvent(frame("progress", 5, 3));
        stream.onCurrentState(frame("running", 7, 5));
        assertEquals(1, output.events.size());
        assertTrue(output.events.getFirst().startsWith("id: 7\n"), output.events.getFirst());
    }

    @Test
    void aSeenTerminalEventEndsTheStreamEvenIfTheRowIsNotWrittenYet() {
        RecordingOutput output = new RecordingOutput();
        int[] ended = {0};
        JobEventStream stream = new JobEventStream(output, -1, view -> null, () -> ended[0]++);
        stream.onLiveEvent(frame("succeeded", 12, 10));
        stream.onCurrentState(frame("running", 4, 2));
        stream.onLiveEvent(frame("progress", 13, 10)); // nothing after the end
        assertEquals(2, output.events.size());
        assertTrue(output.closed, "the response must be ended after the terminal event");
        assertEquals(1, ended[0]);
    }

    @Test
    void aResumingClientGetsOnlyEventsAfterItsLastEventId() {
        RecordingOutput output = new RecordingOutput();
        JobEventStream stream = new JobEventStream(output, 5, view -> null, () -> { });
        stream.onLiveEvent(frame("progress", 6, 4));
        stream.onCurrentState(frame("progress", 5, 3));
        assertEquals(1, output.events.size());
        assertTrue(output.events.getFirst().startsWith("id: 6\n"), output.events.getFirst());
    }

    @Test
    void theBroadcasterKeepsTheNewestEventOfEachJobWithOrWithoutSubscribers() {
        Vertx vertx = Vertx.vertx();
        try {
            JobEventBroadcaster broadcaster = new JobEventBroadcaster(new SimpleMeterRegistry(),
                    new ObjectMapper().findAndRegisterModules(), vertx);
            assertNull(broadcaster.latest(JOB));
            broadcaster.publish(event(JobEventType.PROGRESS, 4, 2));
            broadcaster.publish(event(JobEventType.PROGRESS, 3, 1)); // redelivered late: older
            assertEquals(4, broadcaster.latest(JOB).sequence());
            broadcaster.publish(event(JobEventType.SUCCEEDED, 5, 10));
            assertEquals(5, broadcaster.latest(JOB).sequence());
            assertTrue(broadcaster.latest(JOB).terminal());
            broadcaster.forgetQuietJobs(); // not quiet for long enough yet
            assertNotNull(broadcaster.latest(JOB));
        } finally {
            vertx.close();
        }
    }

    private static SseFrame preview(int step) {
        return SseFrame.notice(JobEventBroadcaster.PREVIEW_EVENT, "{\"step\":" + step + "}");
    }

    @Test
    void aPreviewHeardBeforeTheStateFollowsItOnlyTheNewestAndWithoutAnId() {
        RecordingOutput output = new RecordingOutput();
        JobEventStream stream = new JobEventStream(output, -1, true, view -> null, () -> { });
        stream.onLiveEvent(preview(5));
        stream.onLiveEvent(preview(10));
        stream.onCurrentState(frame("running", 2, 7));
        stream.onLiveEvent(preview(15));
        assertEquals(List.of("id: 2\nevent: running\ndata: {\"status\":\"running\",\"step\":7}\n\n",
                "event: preview\ndata: {\"step\":10}\n\n", "event: preview\ndata: {\"step\":15}\n\n"), output.events);
        stream.onLiveEvent(frame("progress", 3, 8));
        assertTrue(output.events.getLast().startsWith("id: 3\n"), "the job's events go on numbering: " + output.events);
    }

    @Test
    void aStreamWithoutPreviewsGetsTheOtherNoticesButNoPreview() {
        RecordingOutput output = new RecordingOutput();
        JobEventStream stream = new JobEventStream(output, -1, false, view -> null, () -> { });
        stream.onLiveEvent(preview(5));
        stream.onCurrentState(frame("running", 2, 7));
        stream.onLiveEvent(preview(10));
        stream.onLiveEvent(SseFrame.notice("worker-lost", "{}"));
        assertEquals(List.of("id: 2\nevent: running\ndata: {\"status\":\"running\",\"step\":7}\n\n",
                "event: worker-lost\ndata: {}\n\n"), output.events);
    }

    @Test
    void aFinishedJobsStreamGetsNoPendingPreview() {
        RecordingOutput output = new RecordingOutput();
        JobEventStream stream = new JobEventStream(output, -1, true, view -> null, () -> { });
        stream.onLiveEvent(preview(5));
        stream.onCurrentState(frame("succeeded", 9, 10));
        assertEquals(1, output.events.size(), output.events.toString());
    }

    @Test
    void theBroadcasterKeepsAJobsNewestPreviewUntilItsTerminalEvent() {
        Vertx vertx = Vertx.vertx();
        try {
            JobEventBroadcaster broadcaster = new JobEventBroadcaster(new SimpleMeterRegistry(),
                    new ObjectMapper().findAndRegisterModules(), vertx);
            byte[] png = {1, 2, 3};
            broadcaster.preview(new io.texttoimage.contracts.JobPreview(1, JOB, 5, 10, 8, 8, "image/png", png, 1,
                    Instant.now()));
            String wire = broadcaster.latestPreview(JOB).wire().toString(StandardCharsets.UTF_8);
            assertTrue(wire.startsWith("event: preview\ndata: {"), wire);
            assertTrue(wire.contains("\"image\":\"data:image/png;base64,AQID\""), wire);
            broadcaster.publish(event(JobEventType.SUCCEEDED, 5, 10));
            assertNull(broadcaster.latestPreview(JOB), "no preview for a stream of a finished job");
        } finally {
            vertx.close();
        }
    }

    private static JobEvent event(JobEventType type, long sequence, int step) {
        return new JobEvent(JobEvent.SCHEMA_VERSION, JOB, type, sequence, step, 10, "worker-1", null, null, null, null,
                null, Instant.now());
    }
}
