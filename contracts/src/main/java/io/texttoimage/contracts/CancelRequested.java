package io.texttoimage.contracts;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

import java.time.Instant;
import java.util.UUID;

/** Gateway → every generator: stop this job between steps (or skip it if it is still queued). */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record CancelRequested(int schemaVersion, UUID jobId, Instant at) {
    public static final int SCHEMA_VERSION = 1;
}
