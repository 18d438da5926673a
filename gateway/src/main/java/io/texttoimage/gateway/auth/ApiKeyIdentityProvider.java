package io.texttoimage.gateway.auth;

import io.quarkus.security.identity.AuthenticationRequestContext;
import io.quarkus.security.identity.IdentityProvider;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.time.Instant;

/** API keys and the bootstrap admin key: the key's HMAC is looked up; unknown, revoked and expired keys are refused. */
@ApplicationScoped
class ApiKeyIdentityProvider implements IdentityProvider<CredentialRequests.ApiKeyRequest> {
    private static final Logger LOG = Logger.getLogger(ApiKeyIdentityProvider.class);

    private final ServerSecret secret;
    private final ApiKeys keys;

    ApiKeyIdentityProvider(ServerSecret secret, ApiKeys keys) {
        this.secret = secret;
        this.keys = keys;
    }

    @Override
    public Class<CredentialRequests.ApiKeyRequest> getRequestType() {
        return CredentialRequests.ApiKeyRequest.class;
    }

    @Override
    public Uni<SecurityIdentity> authenticate(CredentialRequests.ApiKeyRequest request,
                                              AuthenticationRequestContext context) {
        String key = request.key;
        byte[] keyHash = secret.hmac(key); // one HMAC per request: for the bootstrap comparison and the lookup
        if (secret.isBootstrapAdminKeyHash(keyHash)) {
            return Uni.createFrom().item(Callers.identity(Callers.BOOTSTRAP_ADMIN));
        }
        if (!ApiKeyFormat.isWellFormed(key)) {
            return Uni.createFrom().failure(InvalidCredential.of("The API key is malformed: API keys are "
                    + ApiKeyFormat.PREFIX + " followed by 43 base64url characters."));
        }
        return keys.findByHash(keyHash).onFailure().transform(KeyStoreUnavailable::new).flatMap(found -> {
            if (found.isEmpty()) {
                return Uni.createFrom().failure(InvalidCredential.of("The API key is unknown to this gateway."));
            }
            ApiKey apiKey = found.get();
            Instant now = Instant.now();
            return apiKey.refusal(now)
                    .<Uni<SecurityIdentity>>map(reason -> Uni.createFrom().failure(InvalidCredential.of(reason)))
                    .orElseGet(() -> touchIfDue(apiKey, now)
                            .replaceWith(() -> Callers.identity(apiKey.caller())));
        });
    }

    /** last_used_at is a hint for admins: written at most once a minute, and a failed write refuses no request. */
    private Uni<Void> touchIfDue(ApiKey key, Instant now) {
        if (key.lastUsedAt() != null && key.lastUsedAt().isAfter(now.minus(ApiKeys.TOUCH_INTERVAL))) {
            return Uni.createFrom().voidItem();
        }
        return keys.touch(key.id()).onFailure().recoverWithUni(failure -> {
            LOG.debugf("Could not record the use of API key %s: %s", key.id(), failure);
            return Uni.createFrom().voidItem();
        });
    }
}
