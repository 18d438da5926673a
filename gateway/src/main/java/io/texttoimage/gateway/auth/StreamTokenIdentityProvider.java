package io.texttoimage.gateway.auth;

import io.quarkus.security.identity.AuthenticationRequestContext;
import io.quarkus.security.identity.IdentityProvider;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/** A stream token on a job's event stream: the caller it was issued to, for that job only. */
@ApplicationScoped
class StreamTokenIdentityProvider implements IdentityProvider<CredentialRequests.StreamTokenRequest> {
    private final StreamTokens tokens;

    StreamTokenIdentityProvider(StreamTokens tokens) {
        this.tokens = tokens;
    }

    @Override
    public Class<CredentialRequests.StreamTokenRequest> getRequestType() {
        return CredentialRequests.StreamTokenRequest.class;
    }

    @Override
    public Uni<SecurityIdentity> authenticate(CredentialRequests.StreamTokenRequest request,
                                              AuthenticationRequestContext context) {
        return Uni.createFrom().item(() -> Callers.identity(tokens.verify(request.token, request.jobId)));
    }
}
