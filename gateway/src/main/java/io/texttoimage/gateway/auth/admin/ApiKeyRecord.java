package io.texttoimage.gateway.auth.admin;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.texttoimage.gateway.auth.ApiKey;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/** An API key as the admin API shows it; {@code key} only in the answer that created it. */
public record ApiKeyRecord(
        UUID id,
        @JsonInclude(JsonInclude.Include.NON_NULL)
        @Schema(description = "the key itself: only in the answer of POST, never again (only its HMAC is stored)")
        String key,
        String name, String owner, boolean admin, Instant createdAt, Instant expiresAt,
        @Schema(description = "when the key was last used, to the minute") Instant lastUsedAt,
        Instant revokedAt,
        CreateApiKeyRequest.Limits limits) {

    static ApiKeyRecord of(ApiKey key) {
        return created(key, null);
    }

    static ApiKeyRecord created(ApiKey key, String secret) {
        return new ApiKeyRecord(key.id(), secret, key.name(), key.owner(), key.admin(), key.createdAt(),
                key.expiresAt(), key.lastUsedAt(), key.revokedAt(), new CreateApiKeyRequest.Limits(
                key.limits().maxActiveJobs(), key.limits().submissionsPerMinute(), key.limits().imagesPerDay()));
    }

    /** The answer of {@code GET /admin/api-keys}. */
    public record Page(List<ApiKeyRecord> items) {
    }
}
