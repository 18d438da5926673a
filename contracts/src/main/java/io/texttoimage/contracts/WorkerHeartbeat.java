package io.texttoimage.contracts;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/**
 * Generator → every gateway, every {@code interval_seconds} while the generator runs: who it is, what it serves, what
 * it is doing. Gateways keep the live workers in memory ({@code GET /workers}, {@code GET /capabilities}) and call a
 * running job's worker lost when it has missed {@link #MISSED_BEATS_UNTIL_LOST} beats. Not persistent, short-lived:
 * a heartbeat is only worth anything while it is fresh.
 *
 * @param model           the model as configured (a Hugging Face repo id or a folder), null while none is loaded
 * @param modelRevision   the configured revision, null for a local folder or while none is loaded
 * @param device          {@code CPU} or {@code CUDA}: what the loaded model actually runs on; null while loading
 * @param currentJob      the job being run, null when idle
 * @param stepSeconds     mean seconds per UNet evaluation by image size ({@code "512x512"}), from the jobs this worker
 *                        ran since it started
 * @param intervalSeconds how often this worker beats: a gateway needs no setting of its own to know when it is late
 * @param previews        whether this worker sends live previews ({@link JobPreview}) to jobs that ask for them; false
 *                        in heartbeats of workers older than the field (added without a schema version change)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record WorkerHeartbeat(
        int schemaVersion,
        String workerId,
        String model,
        String modelRevision,
        String device,
        CurrentJob currentJob,
        Map<String, Double> stepSeconds,
        double intervalSeconds,
        Instant startedAt,
        Instant at,
        boolean previews) {

    public static final int SCHEMA_VERSION = 1;
    /** A worker is lost after this many intervals without a heartbeat. */
    public static final int MISSED_BEATS_UNTIL_LOST = 3;

    /** The job a worker runs now: its step out of the UNet evaluations it will make. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record CurrentJob(UUID jobId, int step, int totalSteps) {
    }

    public WorkerHeartbeat {
        stepSeconds = stepSeconds == null ? Map.of() : Map.copyOf(stepSeconds);
    }

    /** A heartbeat of a worker that sends no previews. */
    public WorkerHeartbeat(int schemaVersion, String workerId, String model, String modelRevision, String device,
                           CurrentJob currentJob, Map<String, Double> stepSeconds, double intervalSeconds,
                           Instant startedAt, Instant at) {
        this(schemaVersion, workerId, model, modelRevision, device, currentJob, stepSeconds, intervalSeconds, startedAt,
                at, false);
    }

    /** The size key of {@link #stepSeconds}. */
    public static String sizeKey(int width, int height) {
        return width + "x" + height;
    }
}
