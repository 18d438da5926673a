package io.texttoimage.localstack.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.util.Optional;

/** A SmallRye Health answer ({@code {"status": ..., "checks": [{"name", "status", "data"}]}}), read for final failures. */
final class HealthReport {
    /** The generator's readiness check once loading the model has failed; the model is loaded only once. */
    static final String MODEL_FAILED = "model failed";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A check that is down for good, with what it said. */
    record FinalFailure(String check, String message, String reason) {
    }

    private HealthReport() {
    }

    /** The final failure in a health body, if there is one; an unreadable body is not a final failure. */
    static Optional<FinalFailure> finalFailure(String body) {
        JsonNode checks;
        try {
            checks = JSON.readTree(body).path("checks");
        } catch (IOException notJson) {
            return Optional.empty();
        }
        for (JsonNode check : checks) {
            if (MODEL_FAILED.equals(check.path("name").asText()) && "DOWN".equals(check.path("status").asText())) {
                return Optional.of(new FinalFailure(MODEL_FAILED, messageOf(check.path("data")),
                        check.path("data").path("reason").asText(null)));
            }
        }
        return Optional.empty();
    }

    /** "message" is the sentence; older generators only sent "error" as "ExceptionClass: sentence". */
    private static String messageOf(JsonNode data) {
        String message = data.path("message").asText("");
        if (!message.isBlank() && !"null".equals(message)) {
            return message;
        }
        return data.path("error").asText("the service gave no reason").replaceFirst("^[A-Za-z0-9_$.]+: ", "");
    }
}
