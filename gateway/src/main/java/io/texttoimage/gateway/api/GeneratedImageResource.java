package io.texttoimage.gateway.api;

import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.smallrye.mutiny.Uni;
import io.texttoimage.gateway.api.problem.Problem;
import io.texttoimage.gateway.api.problem.ProblemException;
import io.texttoimage.gateway.auth.StreamTokens;
import io.texttoimage.gateway.config.GatewayConfig;
import io.texttoimage.gateway.events.JobEventStreams;
import io.texttoimage.gateway.events.JobEventView;
import io.texttoimage.gateway.job.Deadlines;
import io.texttoimage.gateway.job.IdempotencyKey;
import io.texttoimage.gateway.job.Job;
import io.texttoimage.gateway.job.JobService;
import io.texttoimage.gateway.job.JobStatus;
import io.texttoimage.gateway.job.SubmitJobRequest;
import io.texttoimage.gateway.storage.SignedUrlIssuer;
import io.texttoimage.gateway.webhook.WebhookTargets;
import io.quarkus.resteasy.reactive.jackson.CustomDeserialization;
import io.smallrye.common.annotation.NonBlocking;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.sse.Sse;
import jakarta.ws.rs.sse.SseEventSink;
import io.vertx.core.http.HttpServerResponse;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.time.Duration;
import java.util.Optional;
import java.util.UUID;

/** The public API: submit prompts, follow and cancel jobs, fetch download links. */
@Path("/generated-images")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Generated images")
public class GeneratedImageResource {
    static final int MAX_PAGE_SIZE = 100;
    static final int MAX_OFFSET = Integer.MAX_VALUE;
    static final String IDEMPOTENCY_KEY = "Idempotency-Key";
    static final String IDEMPOTENT_REPLAYED = "Idempotent-Replayed";

    private final JobService jobs;
    private final JobEventStreams eventStreams;
    private final SignedUrlIssuer signedUrls;
    private final GatewayConfig config;
    private final WebhookTargets webhooks;
    private final StreamTokens streamTokens;

    public GeneratedImageResource(JobService jobs, JobEventStreams eventStreams, SignedUrlIssuer signedUrls,
                                  GatewayConfig config, WebhookTargets webhooks, StreamTokens streamTokens) {
        this.jobs = jobs;
        this.eventStreams = eventStreams;
        this.signedUrls = signedUrls;
        this.config = config;
        this.webhooks = webhooks;
        this.streamTokens = streamTokens;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @CustomDeserialization(StrictRequestBody.class) // unknown fields, other JSON types, duplicates: a 400, not a guess
    @Operation(summary = "Submit a prompt", description = "Stores the job as queued and hands it to the generators.")
    @APIResponse(responseCode = "201", description = "Queued; Location names the new job",
            content = @Content(schema = @Schema(implementation = GeneratedImageRecord.class)))
    @APIResponse(responseCode = "400", description = "Invalid request",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "200", description = "Replay: the Idempotency-Key was used before with the same "
            + "request; the original job, with the header Idempotent-Replayed: true",
            content = @Content(schema = @Schema(implementation = GeneratedImageRecord.class)))
    @APIResponse(responseCode = "413", description = "The body is over the size limit (64 KiB by default)",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "415", description = "No Content-Type, or not application/json",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "422", description = "The Idempotency-Key was used before with a different request",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "503", description = "The message broker did not accept the job; it is marked failed "
            + "and the detail names it",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Uni<Response> submit(@NotNull(message = "must not be null") @Valid SubmitJobRequest body,
                                @HeaderParam(IDEMPOTENCY_KEY) @Parameter(description = "Any 1-255 visible ASCII "
                                        + "characters, e.g. a UUID: a retry with the same key and body returns the "
                                        + "original job instead of a new one (kept 24 h)") String idempotencyKey) {
        GatewayConfig.Deadlines limits = config.deadlines();
        Deadlines deadlines = Deadlines.of(body, limits.queueTimeoutDefault(), limits.queueTimeoutMax(),
                limits.runTimeoutDefault(), limits.runTimeoutMax());
        Optional<IdempotencyKey> key = IdempotencyKey.of(IdempotencyKey.ANONYMOUS, idempotencyKey, body);
        return webhooks.check(body.webhook())
                .onFailure(WebhookTargets.Refused.class).transform(refused -> ProblemException.badRequest(
                        ((WebhookTargets.Refused) refused).field(), refused.getMessage()))
                .chain(() -> jobs.submit(body, deadlines, key))
                .map(submission -> {
                    Response.ResponseBuilder response = submission.replayed()
                            ? Response.ok().header(IDEMPOTENT_REPLAYED, "true")
                            : Response.status(Response.Status.CREATED);
                    Job job = submission.job();
                    return response.header(HttpHeaders.LOCATION, location(job))
                            .entity(GeneratedImageRecord.of(job)).build();
                });
    }

    @GET
    @Path("{id}")
    @Operation(summary = "Get one job: status, progress, parameters, seed, image keys")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = GeneratedImageRecord.class)))
    @APIResponse(responseCode = "404", description = "Unknown id, or not a UUID",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Uni<GeneratedImageRecord> get(@PathParam("id") String id) {
        return jobs.read(parseId(id)).map(GeneratedImageRecord::of);
    }

    @GET
    @WithSession
    @Operation(summary = "List jobs, newest first")
    public Uni<PageResponse<GeneratedImageRecord>> list(
            @QueryParam("page") @Parameter(schema = @Schema(type = SchemaType.INTEGER, defaultValue = "0")) String page,
            @QueryParam("size") @Parameter(schema = @Schema(type = SchemaType.INTEGER, defaultValue = "20",
                    maximum = "100")) String size) {
        int pageIndex = parseInt("page", page, 0, 0, Integer.MAX_VALUE);
        int pageSize = parseInt("size", size, 20, 1, MAX_PAGE_SIZE);
        if ((long) pageIndex * pageSize > MAX_OFFSET) {
            // the database's OFFSET is an int: past it the query would wrap around to a negative offset
            throw ProblemException.badRequest("page", "page × size must be at most " + MAX_OFFSET + " (page "
                    + pageIndex + " × size " + pageSize + " is beyond it).");
        }
        return jobs.list(pageIndex, pageSize).flatMap(items -> jobs.count().map(total -> new PageResponse<>(
                items.stream().map(GeneratedImageRecord::of).toList(), pageIndex, pageSize, total)));
    }

    @GET
    @Path("{id}/events")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @Operation(summary = "Follow a job over SSE",
            description = "The current state first, then every event until the terminal one; event id = sequence. "
                    + "Send Last-Event-ID to skip events already seen. Heartbeat events keep idle streams open. A job "
                    + "submitted with previews: true also gets preview events (no id) unless ?previews=false.")
    @APIResponse(responseCode = "200", content = @Content(mediaType = MediaType.SERVER_SENT_EVENTS,
            schema = @Schema(implementation = JobEventView.class)))
    // A void method would run on a worker thread; the stream must live on its connection's event loop (see
    // JobEventStreams: nothing may be written before Quarkus REST has sent the headers, right after this returns).
    @NonBlocking
    public void events(@PathParam("id") String id,
                       @HeaderParam("Last-Event-ID") String lastEventId,
                       @QueryParam("previews") @Parameter(description = "false: leave out the job's preview events",
                               schema = @Schema(type = SchemaType.BOOLEAN, defaultValue = "true")) String previews,
                       @Context SseEventSink sink,
                       @Context Sse sse,
                       @Context HttpServerResponse response) {
        UUID jobId = parseId(id);
        long resumeAfter = lastEventId == null || lastEventId.isBlank() ? -1 : eventId(lastEventId.trim());
        eventStreams.stream(jobId, resumeAfter, booleanParam("previews", previews, true), sink, sse, response);
    }

    @POST
    @Path("{id}/stream-token")
    @Operation(summary = "A short-lived token for following the job over SSE without an Authorization header",
            description = "For browsers, whose EventSource cannot send headers: GET /generated-images/{id}/events"
                    + "?stream_token=… accepts it instead, for this job only, until it expires (a stream it opened "
                    + "may outlive it).")
    @APIResponse(responseCode = "201", content = @Content(schema = @Schema(
            implementation = StreamTokens.StreamToken.class)))
    @APIResponse(responseCode = "404", description = "Unknown id, or not a UUID",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Uni<Response> streamToken(@PathParam("id") String id) {
        UUID jobId = parseId(id);
        StreamTokens.StreamToken token = streamTokens.issue(jobId); // the caller: read while the request is current
        return jobs.read(jobId).map(job -> Response.status(Response.Status.CREATED).entity(token).build());
    }

    @GET
    @Path("{id}/url")
    @WithSession
    @Operation(summary = "Signed download URLs of a finished job")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = SignedUrlsResponse.class)))
    @APIResponse(responseCode = "409", description = "The job has not succeeded (yet)",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "502", description = "The storage adapter refused to sign",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "503", description = "The storage adapter is unreachable",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Uni<SignedUrlsResponse> url(@PathParam("id") String id) {
        return jobs.find(parseId(id)).flatMap(job -> {
            if (job.status != JobStatus.SUCCEEDED) {
                return Uni.createFrom().failure(notReady(job));
            }
            Duration expiry = config.signedUrlExpiry();
            return signedUrls.sign(job.imageKeys, expiry)
                    .map(signed -> SignedUrlsResponse.of(job.imageKeys, signed, expiry));
        });
    }

    @DELETE
    @Path("{id}")
    @Operation(summary = "Cancel a queued or running job",
            description = "Accepted: the generator stops between steps and the job ends cancelled.")
    @APIResponse(responseCode = "202", content = @Content(schema = @Schema(implementation = GeneratedImageRecord.class)))
    @APIResponse(responseCode = "409", description = "The job has already finished",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Uni<Response> cancel(@PathParam("id") String id) {
        return jobs.cancel(parseId(id))
                .map(job -> Response.accepted(GeneratedImageRecord.of(job)).build());
    }

    /**
     * The new job's address: under the configured public base URL, or relative (RFC 9110 allows it). Never built
     * from the request's Host header, which the client chooses: a string, since {@code ResponseBuilder.location}
     * would resolve a relative URI against exactly that header.
     */
    private String location(Job job) {
        String path = "/generated-images/" + job.id;
        return config.publicBaseUrl().map(base -> base.toString().replaceAll("/+$", "") + path).orElse(path);
    }

    private static ProblemException notReady(Job job) {
        return new ProblemException(409, "not-ready", "Images not ready",
                "Job " + job.id + " is " + job.status.apiName() + "; download URLs exist only once it has succeeded.");
    }

    static UUID parseId(String id) {
        try {
            return UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            // no job can have it: the same answer as for an unknown UUID, so ids stay opaque to clients
            throw new ProblemException(404, "not-found", "Generated image not found",
                    "No generated image has the id '" + id + "' (ids are UUIDs).");
        }
    }

    private static int parseInt(String name, String value, int defaultValue, int min, int max) {
        if (value == null || value.isBlank()) {
            return defaultValue;
        }
        try {
            int parsed = Integer.parseInt(value.trim());
            if (parsed >= min && parsed <= max) {
                return parsed;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw ProblemException.badRequest(name, name + " must be an integer between " + min + " and " + max + ".");
    }

    /** A query flag: {@code true} or {@code false} (any case); absent means {@code fallback}. */
    private static boolean booleanParam(String name, String value, boolean fallback) {
        if (value == null || value.isBlank()) {
            return fallback;
        }
        if (value.equalsIgnoreCase("true") || value.equalsIgnoreCase("false")) {
            return Boolean.parseBoolean(value);
        }
        throw ProblemException.badRequest(name, name + " must be true or false, not '" + value + "'.");
    }

    /** A Last-Event-ID: an event id this gateway sent, so 0..2^63-1 in decimal digits. */
    private static long eventId(String value) {
        try {
            if (value.chars().allMatch(c -> c >= '0' && c <= '9')) {
                return Long.parseLong(value);
            }
        } catch (NumberFormatException e) {
            // more than 2^63-1: reported below
        }
        throw ProblemException.badRequest("Last-Event-ID", "Last-Event-ID must be an event id: an integer between 0 "
                + "and " + Long.MAX_VALUE + ", as sent in the stream's id fields.");
    }
}
