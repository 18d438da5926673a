package io.texttoimage.gateway.auth.admin;

import io.quarkus.resteasy.reactive.jackson.CustomDeserialization;
import io.smallrye.mutiny.Uni;
import io.texttoimage.gateway.api.StrictRequestBody;
import io.texttoimage.gateway.api.problem.Problem;
import io.texttoimage.gateway.api.problem.ProblemException;
import io.texttoimage.gateway.auth.ApiKey;
import io.texttoimage.gateway.auth.ApiKeys;
import io.texttoimage.gateway.auth.Caller;
import io.texttoimage.gateway.auth.CurrentCaller;
import io.texttoimage.gateway.auth.ServerSecret;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/** Admins create, list and revoke API keys. The path rules admit admin callers only; this checks again. */
@Path("/admin/api-keys")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Admin: API keys")
@APIResponse(responseCode = "401", description = "No credential, or a refused one",
        content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
@APIResponse(responseCode = "403", description = "The caller is not an admin",
        content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
public class ApiKeysResource {
    private final ApiKeys keys;
    private final ServerSecret secret;
    private final CurrentCaller caller;

    public ApiKeysResource(ApiKeys keys, ServerSecret secret, CurrentCaller caller) {
        this.keys = keys;
        this.secret = secret;
        this.caller = caller;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @CustomDeserialization(StrictRequestBody.class) // unknown fields, other JSON types, duplicates: a 400
    @Operation(summary = "Create an API key", description = "The answer holds the key; it is shown only this once.")
    @APIResponse(responseCode = "201", description = "Created; Location names the key",
            content = @Content(schema = @Schema(implementation = ApiKeyRecord.class)))
    @APIResponse(responseCode = "400", description = "Invalid request",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Uni<Response> create(@NotNull(message = "must not be null") @Valid CreateApiKeyRequest body) {
        requireAdmin();
        if (body.expiresAt() != null && !body.expiresAt().isAfter(Instant.now())) {
            throw ProblemException.badRequest("expires_at", "expires_at must be in the future, not "
                    + body.expiresAt() + ".");
        }
        CreateApiKeyRequest.Limits limits = Optional.ofNullable(body.limits())
                .orElse(new CreateApiKeyRequest.Limits(null, null, null));
        ApiKey.Spec spec = new ApiKey.Spec(body.name(), Optional.ofNullable(body.owner()).orElse(body.name()),
                Boolean.TRUE.equals(body.admin()), body.expiresAt(), new Caller.QuotaOverrides(
                limits.maxActiveJobs(), limits.submissionsPerMinute(), limits.imagesPerDay()));
        String key = ServerSecret.newApiKey();
        return keys.create(spec, secret.hmac(key)).map(created -> Response.status(Response.Status.CREATED)
                .header(HttpHeaders.LOCATION, "/admin/api-keys/" + created.id())
                .entity(ApiKeyRecord.created(created, key)).build());
    }

    @GET
    @Operation(summary = "List the API keys, newest first", description = "Revoked and expired ones too; no keys.")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = ApiKeyRecord.Page.class)))
    public Uni<ApiKeyRecord.Page> list() {
        requireAdmin();
        return keys.list().map(all -> new ApiKeyRecord.Page(all.stream().map(ApiKeyRecord::of).toList()));
    }

    @DELETE
    @Path("{id}")
    @Operation(summary = "Revoke an API key", description = "Refused from now on; revoking again changes nothing.")
    @APIResponse(responseCode = "200", description = "The key, revoked",
            content = @Content(schema = @Schema(implementation = ApiKeyRecord.class)))
    @APIResponse(responseCode = "404", description = "Unknown id, or not a UUID",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Uni<ApiKeyRecord> revoke(@PathParam("id") String id) {
        requireAdmin();
        UUID keyId = parseId(id);
        return keys.revoke(keyId).map(revoked -> revoked.map(ApiKeyRecord::of).orElseThrow(() -> notFound(id)));
    }

    private void requireAdmin() {
        if (!caller.get().admin()) {
            throw new ProblemException(403, "forbidden", "Forbidden", "Only admin callers may manage API keys.");
        }
    }

    private static UUID parseId(String id) {
        try {
            return UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            throw notFound(id);
        }
    }

    private static ProblemException notFound(String id) {
        return new ProblemException(404, "not-found", "API key not found", "No API key has the id '" + id + "'.");
    }
}
