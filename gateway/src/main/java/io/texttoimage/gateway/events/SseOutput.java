package io.texttoimage.gateway.events;

import io.vertx.core.buffer.Buffer;

/** Where one SSE stream's bytes go: the HTTP response whose headers have been sent. */
interface SseOutput {

    /** Whether the client has gone or the stream was ended. */
    boolean isClosed();

    /** Writes one complete SSE event (shared bytes: must not be modified). */
    void write(Buffer event);

    /** Ends the response. */
    void close();
}
