package io.texttoimage.localstack.client;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.BufferedReader;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class SseParsingTest {

    @Test
    void readsIdsNamesMultiLineDataAndSkipsComments() throws Exception {
        String wire = """
                : connected
                id: 1
                event: queued
                data: {"status":"queued"}

                id: 2
                event: progress
                data: {"a":1,
                data:  "b":2}

                :heartbeat comment
                event:running
                data:{"status":"running"}

                """;
        List<SseEvent> events = new ArrayList<>();
        SseEvent last = GatewayClient.readEvents(new BufferedReader(new StringReader(wire)), events::add);
        assertEquals(3, events.size());
        assertEquals(new SseEvent("1", "queued", "{\"status\":\"queued\"}"), events.get(0));
        assertEquals(new SseEvent("2", "progress", "{\"a\":1,\n \"b\":2}"), events.get(1));
        // the id field is sticky across events (SSE's "last event ID"), the event name is not
        assertEquals(new SseEvent("2", "running", "{\"status\":\"running\"}"), events.get(2));
        assertEquals(events.get(2), last);
    }

    @Test
    void stopsWhenTheListenerSaysSoAndIgnoresAnUnfinishedEvent() throws Exception {
        String wire = "data: one\n\ndata: two\n\ndata: three\n\ndata: unfinished\n";
        List<String> seen = new ArrayList<>();
        GatewayClient.readEvents(new BufferedReader(new StringReader(wire)), e -> {
            seen.add(e.data());
            return !e.data().equals("two");
        });
        assertEquals(List.of("one", "two"), seen);

        List<String> all = new ArrayList<>();
        GatewayClient.readEvents(new BufferedReader(new StringReader(wire)), e -> all.add(e.data()));
        assertEquals(List.of("one", "two", "three"), all);
        assertEquals("message", GatewayClient.readEvents(new BufferedReader(new StringReader("data: x\n\n")), e -> true).event());
    }

    @Test
    void problemDetailsBecomeOneReadableMessage() {
        String body = """
                {"type":"about:blank","title":"Bad Request","status":400,"detail":"2 fields are invalid",
                 "errors":[{"field":"prompt","message":"must not be blank"},{"field":"num_steps","message":"must be >= 1"}]}""";
        assertEquals("HTTP 400 Bad Request: 2 fields are invalid\n  prompt: must not be blank\n  num_steps: must be >= 1",
                GatewayClient.problemDetail(400, body));
        assertEquals("HTTP 502: <html>bad gateway</html>", GatewayClient.problemDetail(502, "<html>bad gateway</html>"));
    }
}
