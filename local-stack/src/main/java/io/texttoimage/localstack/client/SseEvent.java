package io.texttoimage.localstack.client;

/** One Server-Sent Event as the gateway sends it: id = sequence, event = status name, data = JSON. */
public record SseEvent(String id, String event, String data) {
}
