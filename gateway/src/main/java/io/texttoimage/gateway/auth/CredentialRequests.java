package io.texttoimage.gateway.auth;

import io.quarkus.security.identity.request.BaseAuthenticationRequest;

import java.util.UUID;

/** The credentials {@link BearerAuthenticationMechanism} hands to this package's identity providers. */
final class CredentialRequests {
    private CredentialRequests() {
    }

    /** A bearer credential meant as an API key or the bootstrap admin key. */
    static final class ApiKeyRequest extends BaseAuthenticationRequest {
        final String key;

        ApiKeyRequest(String key) {
            this.key = key;
        }
    }

    /** A {@code stream_token} on {@code GET /generated-images/{jobId}/events}. */
    static final class StreamTokenRequest extends BaseAuthenticationRequest {
        final String token;
        final UUID jobId;

        StreamTokenRequest(String token, UUID jobId) {
            this.token = token;
            this.jobId = jobId;
        }
    }
}
