package io.texttoimage.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A minimal SSE reader over the JDK HTTP client: parses events into a queue; END marks the stream's end.
 * Only a clean end (the server closed the stream, or {@link #close()} was called) is END: a read or parse error
 * fails the test that reads past it.
 */
final class SseClient implements AutoCloseable {
    record Event(String id, String name, JsonNode data) {
    }

    static final Event END = new Event(null, "<end>", null);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private final Stream<String> body;
    private volatile boolean closed;
    private volatile Throwable failure;
    final int status;
    final String contentType;

    SseClient(URI uri, String lastEventId) throws Exception {
        this(uri, lastEventId, java.util.Map.of());
    }

    /** With more request headers, e.g. {@code Authorization} (a job's stream token goes in the URI instead). */
    SseClient(URI uri, String lastEventId, java.util.Map<String, String> headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).header("Accept", "text/event-stream");
        if (lastEventId != null) {
            request.header("Last-Event-ID", lastEventId);
        }
        headers.forEach(request::header);
        HttpResponse<Stream<String>> response = HttpClient.newHttpClient()
                .send(request.build(), HttpResponse.BodyHandlers.ofLines());
        status = response.statusCode();
        contentType = response.headers().firstValue("Content-Type").orElse("");
        body = response.body();
        Thread.ofVirtual().start(() -> read(body));
    }

    private void read(Stream<String> lines) {
        String id = null;
        String name = null;
        StringBuilder data = new StringBuilder();
        try (lines) {
            for (String line : (Iterable<String>) lines::iterator) {
                if (line.isEmpty()) {
                    if (!data.isEmpty()) {
                        events.add(new Event(id, name, JSON.readTree(data.toString())));
                    }
                    id = null;
                    name = null;
                    data.setLength(0);
                } else if (line.startsWith("id:")) {
                    id = line.substring(3).trim();
                } else if (line.startsWith("event:")) {
                    name = line.substring(6).trim();
                } else if (line.startsWith("data:")) {
                    data.append(line.substring(5).trim());
                }
            }
        } catch (Exception e) {
            if (!closed) {
                failure = e; // not our own close(): the stream broke or sent something unreadable
            }
        } finally {
            events.add(END);
        }
    }

    /** The next event (heartbeats included), or null if none arrives in time. */
    Event next(Duration timeout) throws InterruptedException {
        return checked(events.poll(timeout.toMillis(), TimeUnit.MILLISECONDS));
    }

    /** END after an error is no normal end of stream: it fails the test. */
    private Event checked(Event event) {
        if (event == END && failure != null) {
            throw new AssertionError("SSE stream failed instead of ending", failure);
        }
        return event;
    }

    /**
     * The next event that is neither a heartbeat nor a {@code queue} notice (both repeat what the stream already
     * said, at times of the server's choosing), or null if none arrives in time.
     */
    Event nextNonHeartbeat(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            Event event = events.poll(Math.max(0, left), TimeUnit.NANOSECONDS);
            if (event == null || !"heartbeat".equals(event.name()) && !"queue".equals(event.name())) {
                return checked(event);
            }
        }
    }

    /** The next event named {@code name} (others are skipped), or null if none arrives in time (or the stream ends). */
    Event nextNamed(String name, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            Event event = checked(events.poll(Math.max(0, left), TimeUnit.NANOSECONDS));
            if (event == null || event == END) {
                return null;
            }
            if (name.equals(event.name())) {
                return event;
            }
        }
    }

    /** Every non-heartbeat event until the stream ends; fails if it has not ended within the timeout. */
    List<Event> untilEnd(Duration timeout) throws InterruptedException {
        List<Event> result = new ArrayList<>();
        while (true) {
            Event event = nextNonHeartbeat(timeout);
            if (event == null) {
                throw new AssertionError("SSE stream did not end within " + timeout + "; got " + result);
            }
            if (event == END) {
                return result;
            }
            result.add(event);
        }
    }

    @Override
    public void close() {
        closed = true;
        body.close();
    }
}
