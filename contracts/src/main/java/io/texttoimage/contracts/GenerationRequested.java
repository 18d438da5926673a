package io.texttoimage.contracts;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

import java.time.Instant;
import java.util.UUID;

/**
 * Gateway → generators: one job to run. Small by design: parameters only, never pixels.
 * {@code width}, {@code height} and {@code scheduler} may be null: the generator then uses its model's defaults
 * and reports the resolved values in the RUNNING {@link JobEvent}.
 *
 * @param previews whether the client asked for live previews ({@link JobPreview}) while the job runs. Added without a
 *                 schema version change: a message from a gateway older than the field has none, which reads as false.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record GenerationRequested(
        int schemaVersion,
        UUID jobId,
        String prompt,
        String negativePrompt,
        int numSteps,
        double guidanceScale,
        Integer width,
        Integer height,
        String scheduler,
        long seed,
        int numImages,
        Instant requestedAt,
        boolean previews) {

    public static final int SCHEMA_VERSION = 1;

    /** A job without live previews. */
    public GenerationRequested(int schemaVersion, UUID jobId, String prompt, String negativePrompt, int numSteps,
                               double guidanceScale, Integer width, Integer height, String scheduler, long seed,
                               int numImages, Instant requestedAt) {
        this(schemaVersion, jobId, prompt, negativePrompt, numSteps, guidanceScale, width, height, scheduler, seed,
                numImages, requestedAt, false);
    }
}
