package io.texttoimage.gateway.api;

import io.texttoimage.contracts.WorkerHeartbeat;
import io.texttoimage.gateway.api.problem.Problem;
import io.texttoimage.gateway.job.WorkerRegistry;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** The live generators as this replica hears their heartbeats (every replica hears every one). */
@Path("/workers")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Workers")
public class WorkersResource {

    /** The answer of {@code GET /workers}. */
    public record WorkersResponse(List<Worker> workers) {
    }

    /**
     * One live worker, from its last heartbeat.
     *
     * @param lastSeen when this replica received its last heartbeat
     */
    public record Worker(
            String workerId,
            @Schema(description = "the model as the worker is configured with it (Hugging Face repo id or folder);"
                    + " null while it loads") Model model,
            @Schema(description = "CPU or CUDA: what the loaded model runs on; null while it loads") String device,
            @Schema(description = "the job it runs now; null when idle") CurrentJob currentJob,
            @Schema(description = "mean seconds per UNet evaluation by image size (\"512x512\"), over the jobs it ran")
            Map<String, Double> stepSeconds,
            @Schema(description = "seconds between its heartbeats; it is lost after three without one")
            double heartbeatInterval,
            Instant startedAt,
            Instant lastSeen) {

        static Worker of(WorkerRegistry.Seen seen) {
            WorkerHeartbeat beat = seen.heartbeat();
            WorkerHeartbeat.CurrentJob job = beat.currentJob();
            return new Worker(beat.workerId(), beat.model() == null ? null
                    : new Model(beat.model(), beat.modelRevision()), beat.device(),
                    job == null ? null : new CurrentJob(job.jobId(), job.step(), job.totalSteps()),
                    beat.stepSeconds(), beat.intervalSeconds(), beat.startedAt(), seen.receivedAt());
        }
    }

    /** A served model: its name and revision (null for a local folder). */
    public record Model(String name, String revision) {
    }

    public record CurrentJob(UUID id, int step, int totalSteps) {
    }

    private final WorkerRegistry registry;

    public WorkersResource(WorkerRegistry registry) {
        this.registry = registry;
    }

    @GET
    @Operation(summary = "List the live generators",
            description = "Every generator that sent a heartbeat within its last three intervals: its model, device,"
                    + " current job and measured step times. Empty when no generator is alive.")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = WorkersResponse.class)))
    @APIResponse(responseCode = "500", description = "A gateway bug",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public WorkersResponse list() {
        return new WorkersResponse(registry.live().stream().map(Worker::of).toList());
    }
}
