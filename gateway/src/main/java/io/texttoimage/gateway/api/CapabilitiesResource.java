package io.texttoimage.gateway.api;

import io.texttoimage.contracts.PromptTruncation;
import io.texttoimage.contracts.SchedulerNames;
import io.texttoimage.gateway.api.problem.Problem;
import io.texttoimage.gateway.config.GatewayConfig;
import io.texttoimage.gateway.job.MultipleOf;
import io.texttoimage.gateway.job.SubmitJobRequest;
import io.texttoimage.gateway.job.WorkerRegistry;
import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.lang.reflect.Field;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What a client can ask for, so that it can build its form from the server: the served models (from the live
 * workers' heartbeats), sizes, schedulers and limits. The limits are read from the constraints of
 * {@link SubmitJobRequest}, the one place that enforces them, so this answer cannot drift from what a POST accepts.
 */
@Path("/capabilities")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Capabilities")
public class CapabilitiesResource {
    /** SD 1.5's native size (UNet sample_size 64 × VAE factor 8): what a request without width and height gets. */
    static final int DEFAULT_SIDE = 512;

    public record Capabilities(
            @Schema(description = "the models the live workers serve; empty when no worker is alive")
            List<WorkersResource.Model> models,
            @Schema(description = "whether any worker is alive now; jobs submitted meanwhile wait in the queue")
            boolean workersAvailable,
            int liveWorkers,
            Size defaultSize,
            Sizes sizes,
            List<Scheduler> schedulers,
            Limits limits,
            @Schema(description = "whether a live worker sends live previews to jobs that ask (\"previews\": true)")
            boolean previewsAvailable) {
    }

    public record Size(int width, int height) {
    }

    /** Width and height each: from {@code min} to {@code max} in steps of {@code multiple_of}. */
    public record Sizes(int min, int max, int multipleOf) {
    }

    /**
     * @param name        what a request's {@code scheduler} takes
     * @param displayName AUTOMATIC1111's name of it, also accepted; null for the schedulers A1111 does not offer
     */
    public record Scheduler(String name, String displayName) {
    }

    public record Range(double min, double max) {
    }

    public record IntRange(int min, int max) {
    }

    public record Limits(IntRange numSteps, Range guidanceScale, IntRange numImages,
                         @Schema(description = "the text encoder's limit; longer prompts are cut (the record says so)")
                         int promptTokens,
                         int promptCharacters,
                         @Schema(description = "largest queue_timeout in seconds") long queueTimeoutMax,
                         @Schema(description = "largest run_timeout in seconds") long runTimeoutMax) {
    }

    private final WorkerRegistry workers;
    private final GatewayConfig config;

    public CapabilitiesResource(WorkerRegistry workers, GatewayConfig config) {
        this.workers = workers;
        this.config = config;
    }

    @GET
    @Operation(summary = "What can be generated here: models, sizes, schedulers, limits")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = Capabilities.class)))
    @APIResponse(responseCode = "500", description = "A gateway bug",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Capabilities capabilities() {
        List<WorkerRegistry.Seen> live = workers.live();
        Set<WorkersResource.Model> models = new LinkedHashSet<>();
        live.stream().filter(seen -> seen.heartbeat().model() != null).forEach(seen -> models.add(
                new WorkersResource.Model(seen.heartbeat().model(), seen.heartbeat().modelRevision())));
        Field width = component("width");
        return new Capabilities(List.copyOf(models), !live.isEmpty(), live.size(),
                new Size(DEFAULT_SIDE, DEFAULT_SIDE),
                new Sizes((int) width.getAnnotation(Min.class).value(), (int) width.getAnnotation(Max.class).value(),
                        width.getAnnotation(MultipleOf.class).value()),
                SchedulerNames.NAMES.stream().map(name -> new Scheduler(name,
                        SchedulerNames.a1111Name(name).orElse(null))).toList(),
                limits(), live.stream().anyMatch(seen -> seen.heartbeat().previews()));
    }

    private Limits limits() {
        Field steps = component("numSteps");
        Field guidance = component("guidanceScale");
        Field images = component("numImages");
        return new Limits(
                new IntRange((int) steps.getAnnotation(Min.class).value(), (int) steps.getAnnotation(Max.class).value()),
                new Range(Double.parseDouble(guidance.getAnnotation(DecimalMin.class).value()),
                        Double.parseDouble(guidance.getAnnotation(DecimalMax.class).value())),
                new IntRange((int) images.getAnnotation(Min.class).value(),
                        (int) images.getAnnotation(Max.class).value()),
                PromptTruncation.MAX_TOKENS, SubmitJobRequest.MAX_PROMPT_LENGTH,
                config.deadlines().queueTimeoutMax().toSeconds(), config.deadlines().runTimeoutMax().toSeconds());
    }

    /** The field of a request component: its validation annotations are the limits. */
    private static Field component(String name) {
        try {
            return SubmitJobRequest.class.getDeclaredField(name);
        } catch (NoSuchFieldException e) {
            throw new IllegalStateException("SubmitJobRequest has no component " + name, e);
        }
    }
}
