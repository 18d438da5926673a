package io.texttoimage.gateway.events;

/**
 * One SSE event ready to send: the JSON is serialised once per job event and shared by every stream of that job,
 * rather than once per subscriber.
 */
record SseFrame(String name, JobEventView view, String json) {

    long sequence() {
        return view.sequence();
    }

    boolean terminal() {
        return view.isTerminal();
    }
}
