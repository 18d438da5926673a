package io.texttoimage.gateway.messaging;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import jakarta.enterprise.context.ApplicationScoped;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * Encodes and decodes the contract records with the application's ObjectMapper (ISO-8601 instants,
 * snake_case). Incoming payloads arrive as bytes, text or already-parsed JSON depending on the
 * message's content type; all are accepted.
 */
@ApplicationScoped
public class JsonCodec {
    private final ObjectMapper mapper;

    public JsonCodec(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    public String encode(Object value) {
        try {
            return mapper.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("Cannot encode " + value.getClass().getSimpleName(), e);
        }
    }

    public <T> T decode(Object payload, Class<T> type) {
        try {
            return mapper.readValue(bytesOf(payload), type);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot decode " + type.getSimpleName() + ": " + e.getMessage(), e);
        }
    }

    private static byte[] bytesOf(Object payload) {
        return switch (payload) {
            case byte[] bytes -> bytes;
            case String text -> text.getBytes(StandardCharsets.UTF_8);
            case Buffer buffer -> buffer.getBytes();
            case io.vertx.mutiny.core.buffer.Buffer buffer -> buffer.getBytes();
            case JsonObject json -> json.toBuffer().getBytes();
            case JsonArray json -> json.toBuffer().getBytes();
            case null -> throw new IllegalArgumentException("Empty message payload");
            default -> throw new IllegalArgumentException("Unsupported payload type " + payload.getClass());
        };
    }
}
