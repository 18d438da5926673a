package io.texttoimage.gateway.events;

import io.vertx.core.buffer.Buffer;

/**
 * One SSE event ready to send: serialised once per job event into the bytes of the SSE event itself, and shared by
 * every stream of that job rather than built again per subscriber.
 *
 * @param wire {@code id:} (unless a heartbeat), {@code event:} and {@code data:} lines (the view as JSON) and the
 *             blank line that ends the event, UTF-8
 */
record SseFrame(String name, JobEventView view, Buffer wire) {

    static SseFrame of(String name, JobEventView view, String json, boolean withId) {
        StringBuilder text = new StringBuilder(json.length() + 48);
        if (withId) {
            text.append("id: ").append(view.sequence()).append('\n');
        }
        text.append("event: ").append(name).append('\n');
        // Compact JSON has no line breaks (they are escaped inside strings); split anyway, as SSE requires.
        for (String line : json.split("\n", -1)) {
            text.append("data: ").append(line).append('\n');
        }
        text.append('\n');
        return new SseFrame(name, view, Buffer.buffer(text.toString()));
    }

    long sequence() {
        return view.sequence();
    }

    boolean terminal() {
        return view.isTerminal();
    }
}
