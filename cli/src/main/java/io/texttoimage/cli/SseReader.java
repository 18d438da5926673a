package io.texttoimage.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;

/**
 * Reads a {@code text/event-stream} as the HTML standard defines it: lines end in CRLF, LF or CR; a line starting
 * with ':' is a comment; {@code data} lines accumulate with '\n' between them; {@code id} persists across events
 * (for {@code Last-Event-ID}); an event is dispatched on a blank line and only if it has data.
 */
public final class SseReader implements AutoCloseable {

    /** One dispatched event; {@code id} is the last event id seen so far (possibly from an earlier event). */
    public record Event(String id, String name, String data) {
    }

    private final BufferedReader reader;
    private String lastEventId;
    private Long retryMillis;
    private boolean first = true;

    public SseReader(InputStream in) {
        this(new InputStreamReader(in, StandardCharsets.UTF_8));
    }

    public SseReader(Reader in) {
        // BufferedReader.readLine already ends lines at "\r\n", "\n" or a lone "\r", as SSE requires.
        this.reader = in instanceof BufferedReader buffered ? buffered : new BufferedReader(in);
    }

    /** The next event, or null at the end of the stream (an unfinished event at the end is dropped, per spec). */
    public Event next() throws IOException {
        String eventName = null;
        StringBuilder data = null;
        String line;
        while ((line = reader.readLine()) != null) {
            if (first) {
                first = false;
                if (line.startsWith("\uFEFF")) {
                    line = line.substring(1);
                }
            }
            if (line.isEmpty()) {
                if (data != null) {
                    return new Event(lastEventId, eventName == null ? "message" : eventName, data.toString());
                }
                eventName = null; // an event without data is not dispatched
                continue;
            }
            if (line.startsWith(":")) {
                continue;
            }
            int colon = line.indexOf(':');
            String field = colon < 0 ? line : line.substring(0, colon);
            String value = colon < 0 ? "" : line.substring(colon + 1);
            if (value.startsWith(" ")) {
                value = value.substring(1);
            }
            switch (field) {
                case "event" -> eventName = value;
                case "data" -> data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
                case "id" -> {
                    if (value.indexOf('\0') < 0) {
                        lastEventId = value;
                    }
                }
                case "retry" -> {
                    if (!value.isEmpty() && value.chars().allMatch(Character::isDigit)) {
                        retryMillis = Long.parseLong(value);
                    }
                }
                default -> { } // unknown fields are ignored
            }
        }
        return null;
    }

    /** The id to send as {@code Last-Event-ID} when reconnecting, or null. */
    public String lastEventId() {
        return lastEventId;
    }

    /** The reconnection delay the server asked for, or null. */
    public Long retryMillis() {
        return retryMillis;
    }

    @Override
    public void close() throws IOException {
        reader.close();
    }
}
