package io.texttoimage.cli;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class SseReaderTest {

    static List<SseReader.Event> read(String stream) throws IOException {
        List<SseReader.Event> events = new ArrayList<>();
        try (SseReader reader = new SseReader(new ByteArrayInputStream(stream.getBytes(StandardCharsets.UTF_8)))) {
            SseReader.Event event;
            while ((event = reader.next()) != null) {
                events.add(event);
            }
        }
        return events;
    }

    @Test
    void multiLineDataIsJoinedWithNewlines() throws IOException {
        assertEquals(List.of(new SseReader.Event(null, "message", "first\nsecond\n third")),
                read("data: first\ndata:second\ndata:  third\n\n"));
    }

    @Test
    void commentsAreSkippedAndIdsPersist() throws IOException {
        assertEquals(List.of(new SseReader.Event("7", "progress", "{\"a\":1}"), new SseReader.Event("7", "message", "x")),
                read(": hello\n\nid: 7\nevent: progress\n: in between\ndata: {\"a\":1}\n\ndata: x\n\n"));
    }

    @Test
    void allThreeLineEndingsWork() throws IOException {
        assertEquals(List.of(new SseReader.Event("1", "a", "one"), new SseReader.Event("2", "b", "two"),
                        new SseReader.Event("3", "c", "three")),
                read("id: 1\r\nevent: a\r\ndata: one\r\n\r\nid: 2\revent: b\rdata: two\r\rid: 3\nevent: c\ndata: three\n\n"));
    }

    @Test
    void eventsWithoutDataAreNotDispatchedAndTheirNameDoesNotLeak() throws IOException {
        assertEquals(List.of(new SseReader.Event(null, "message", "payload")),
                read("event: heartbeat\n\ndata: payload\n\n"));
    }

    @Test
    void emptyDataLineDispatchesAnEmptyEvent() throws IOException {
        assertEquals(List.of(new SseReader.Event(null, "ping", "")), read("event: ping\ndata\n\n"));
    }

    @Test
    void unfinishedEventAtEndOfStreamIsDropped() throws IOException {
        assertEquals(List.of(new SseReader.Event("1", "message", "done")), read("id: 1\ndata: done\n\nid: 2\ndata: half"));
    }

    @Test
    void retryBomAndUnknownFieldsAreHandled() throws IOException {
        try (SseReader reader = new SseReader(new ByteArrayInputStream(
                "\uFEFFretry: 2500\nfoo: bar\nid: 9\ndata: d\n\nretry: soon\n".getBytes(StandardCharsets.UTF_8)))) {
            assertEquals(new SseReader.Event("9", "message", "d"), reader.next());
            assertEquals(null, reader.next());
            assertEquals(2500L, reader.retryMillis(), "a non-numeric retry is ignored");
            assertEquals("9", reader.lastEventId());
        }
    }

    @Test
    void idWithNulIsIgnored() throws IOException {
        assertEquals(List.of(new SseReader.Event("1", "message", "a"), new SseReader.Event("1", "message", "b")),
                read("id: 1\ndata: a\n\nid: x\u0000y\ndata: b\n\n"));
    }
}
