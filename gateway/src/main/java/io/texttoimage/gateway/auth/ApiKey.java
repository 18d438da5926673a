package io.texttoimage.gateway.auth;

import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/**
 * A stored API key, without the key (only its HMAC is stored, and never leaves {@link ApiKeys}).
 *
 * @param limits the key's own quotas; null fields: the configured defaults
 */
public record ApiKey(UUID id, String name, String owner, boolean admin, Instant createdAt, Instant lastUsedAt,
                     Instant expiresAt, Instant revokedAt, Caller.QuotaOverrides limits) {

    /** Who calls with this key. */
    public Caller caller() {
        return new Caller(owner, admin, Optional.of(id), limits);
    }

    /** Why the key is not accepted at {@code now}, or empty when it is. */
    Optional<String> refusal(Instant now) {
        if (revokedAt != null) {
            return Optional.of("The API key was revoked at " + revokedAt + ".");
        }
        if (expiresAt != null && !now.isBefore(expiresAt)) {
            return Optional.of("The API key expired at " + expiresAt + ".");
        }
        return Optional.empty();
    }

    /** What an admin asks for; the id, key and timestamps are the gateway's. */
    public record Spec(String name, String owner, boolean admin, Instant expiresAt, Caller.QuotaOverrides limits) {
    }
}
