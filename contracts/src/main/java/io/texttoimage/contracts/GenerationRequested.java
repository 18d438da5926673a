package io.texttoimage.contracts;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

import java.time.Instant;
import java.util.UUID;

/** Gateway → generators: one job to run. Small by design: parameters only, never pixels. */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record GenerationRequested(
        int schemaVersion,
        UUID jobId,
        String prompt,
        String negativePrompt,
        int numSteps,
        double guidanceScale,
        int width,
        int height,
        String scheduler,
        long seed,
        int numImages,
        Instant requestedAt) {

    public static final int SCHEMA_VERSION = 1;
}
