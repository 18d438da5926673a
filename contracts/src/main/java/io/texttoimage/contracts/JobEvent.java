package io.texttoimage.contracts;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * Generators → every gateway: state and progress of one job. Routing key {@code job.<type lower-case>}.
 *
 * @param sequence  strictly increasing per job and attempt; used as the SSE event id
 * @param step      denoising steps done so far (0 before the first)
 * @param imageKeys object keys, only on SUCCEEDED
 * @param error     one-sentence reason, only on FAILED
 * @param width     resolved image width, on RUNNING (null otherwise)
 * @param height    resolved image height, on RUNNING (null otherwise)
 * @param scheduler resolved scheduler name, on RUNNING (null otherwise)
 * @param promptTruncation what the token limit cut off the prompts, on RUNNING when something was cut (null
 *                  otherwise, and in events of producers older than the field)
 * @param attempt   which attempt at the job this is (1 for the first run; a redelivery after the worker died or
 *                  lost its connection is the next), on every event of a worker that knows it; on a FAILED that ends
 *                  a job after its last attempt, the attempts made. Null from older workers. Added without a
 *                  schema version change: readers ignore unknown fields and older writers leave it out.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record JobEvent(
        int schemaVersion,
        UUID jobId,
        JobEventType type,
        long sequence,
        int step,
        int totalSteps,
        String workerId,
        List<String> imageKeys,
        String error,
        Integer width,
        Integer height,
        String scheduler,
        Instant at,
        PromptTruncation promptTruncation,
        Integer attempt) {

    public static final int SCHEMA_VERSION = 1;

    /** An event without a prompt truncation that does not say which attempt it belongs to. */
    public JobEvent(int schemaVersion, UUID jobId, JobEventType type, long sequence, int step, int totalSteps,
                    String workerId, List<String> imageKeys, String error, Integer width, Integer height,
                    String scheduler, Instant at) {
        this(schemaVersion, jobId, type, sequence, step, totalSteps, workerId, imageKeys, error, width, height,
                scheduler, at, null, null);
    }

    public String routingKey() {
        return "job." + type.name().toLowerCase(java.util.Locale.ROOT);
    }
}
