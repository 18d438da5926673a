package io.texttoimage.gateway.events;

import io.vertx.core.buffer.Buffer;

/**
 * One SSE event ready to send: serialised once per job event into the bytes of the SSE event itself, and shared by
 * every stream of that job rather than built again per subscriber.
 *
 * @param view the job's state after the event; null for a notice
 * @param wire {@code id:} (unless a heartbeat or a notice), {@code event:} and {@code data:} lines (the view as JSON)
 *             and the blank line that ends the event, UTF-8
 * @param notice something the stream tells about the job without changing its state (the worker is lost): no id,
 *               no sequence, sent once to the streams open now and never replayed
 */
record SseFrame(String name, JobEventView view, Buffer wire, boolean notice) {

    static SseFrame of(String name, JobEventView view, String json, boolean withId) {
        return new SseFrame(name, view, wire(name, json, withId ? view.sequence() : null), false);
    }

    static SseFrame notice(String name, String json) {
        return new SseFrame(name, null, wire(name, json, null), true);
    }

    private static Buffer wire(String name, String json, Long id) {
        StringBuilder text = new StringBuilder(json.length() + 48);
        if (id != null) {
            text.append("id: ").append(id).append('\n');
        }
        text.append("event: ").append(name).append('\n');
        // Compact JSON has no line breaks (they are escaped inside strings); split anyway, as SSE requires.
        for (String line : json.split("\n", -1)) {
            text.append("data: ").append(line).append('\n');
        }
        text.append('\n');
        return Buffer.buffer(text.toString());
    }

    long sequence() {
        return view.sequence();
    }

    boolean terminal() {
        return view.isTerminal();
    }
}
