package io.texttoimage.contracts;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

import java.time.Instant;
import java.util.UUID;

/**
 * Generator → the gateways' live queues only: a live preview of a running job that asked for previews
 * ({@link GenerationRequested#previews}), for its SSE streams. Published on the job-events exchange under
 * {@link #ROUTING_KEY}, which the persist queue's binding ({@code job.#}) does not match: previews are never stored,
 * and a preview nobody streams is dropped. Transient and unordered with respect to the job's events: a preview says
 * nothing about the job's state.
 *
 * @param step       the step (UNet evaluation) the preview shows, 1-based, as in PROGRESS
 * @param totalSteps the UNet evaluations of the run, as in PROGRESS
 * @param width      preview width in pixels (the latent width: image width / 8)
 * @param height     preview height in pixels
 * @param mediaType  the image's format, {@code image/png}
 * @param image      the encoded image (base64 in JSON)
 * @param attempt    which attempt at the job sent it
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record JobPreview(
        int schemaVersion,
        UUID jobId,
        int step,
        int totalSteps,
        int width,
        int height,
        String mediaType,
        byte[] image,
        Integer attempt,
        Instant at) {

    public static final int SCHEMA_VERSION = 1;
    /** Routing key of every preview on the job-events exchange; only the gateways' live queues bind it. */
    public static final String ROUTING_KEY = "preview.image";
    public static final String PNG = "image/png";

    /** The image as a {@code data:} URL, what the gateway's SSE {@code preview} event carries. */
    public String dataUrl() {
        return "data:" + mediaType + ";base64," + java.util.Base64.getEncoder().encodeToString(image);
    }
}
