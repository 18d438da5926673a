package io.texttoimage.gateway.auth;

import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.identity.IdentityProviderManager;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.identity.request.AuthenticationRequest;
import io.quarkus.security.identity.request.TokenAuthenticationRequest;
import io.quarkus.smallrye.jwt.runtime.auth.JsonWebTokenCredential;
import io.quarkus.vertx.http.runtime.security.ChallengeData;
import io.quarkus.vertx.http.runtime.security.HttpAuthenticationMechanism;
import io.quarkus.vertx.http.runtime.security.HttpCredentialTransport;
import io.quarkus.vertx.http.runtime.security.HttpSecurityUtils;
import io.smallrye.mutiny.Uni;
import io.texttoimage.gateway.config.GatewayConfig;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Alternative;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The gateway's one authentication mechanism; it takes the place of SmallRye JWT's own (an alternative bean, as
 * the Quarkus security guide shows), so each request gets exactly one decision:
 * <ol>
 *     <li>{@code Authorization: Bearer} with the bootstrap admin key or an API key ({@code t2i_…}): the key;</li>
 *     <li>any other bearer credential: a JWT, when {@code t2i.gateway.auth.jwt.enabled}, else refused;</li>
 *     <li>no Authorization header, on {@code GET /generated-images/{id}/events}: its {@code stream_token}
 *     parameter, for that job id only;</li>
 *     <li>nothing: anonymous, which only the public paths admit.</li>
 * </ol>
 * With authentication off it authenticates nobody and refuses nothing.
 */
@Alternative
@Priority(1)
@ApplicationScoped
public class BearerAuthenticationMechanism implements HttpAuthenticationMechanism {
    static final String STREAM_TOKEN_PARAMETER = "stream_token";
    private static final Pattern EVENTS_PATH = Pattern.compile("/generated-images/([^/]+)/events");
    private static final String BEARER = "Bearer ";

    private final GatewayConfig config;
    private final ServerSecret secret;
    private final AuthProblems problems;

    BearerAuthenticationMechanism(GatewayConfig config, ServerSecret secret, AuthProblems problems) {
        this.config = config;
        this.secret = secret;
        this.problems = problems;
    }

    @Override
    public Uni<SecurityIdentity> authenticate(RoutingContext context, IdentityProviderManager identities) {
        if (!config.auth().enabled()) {
            return Uni.createFrom().nullItem();
        }
        Optional<AuthenticationRequest> request;
        try {
            request = credential(context);
        } catch (AuthenticationFailedException invalid) {
            return refuse(context, invalid);
        }
        return request.map(r -> identities.authenticate(HttpSecurityUtils.setRoutingContextAttribute(r, context))
                        .onFailure(AuthenticationFailedException.class)
                        .invoke(failure -> context.put(AuthProblems.FAILURE, failure)))
                .orElseGet(() -> Uni.createFrom().nullItem());
    }

    private Optional<AuthenticationRequest> credential(RoutingContext context) {
        String authorization = context.request().getHeader(HttpHeaders.AUTHORIZATION);
        if (authorization != null) {
            return Optional.of(bearer(authorization));
        }
        List<String> streamTokens = context.queryParam(STREAM_TOKEN_PARAMETER);
        Matcher events = EVENTS_PATH.matcher(context.normalizedPath());
        if (!streamTokens.isEmpty() && context.request().method() == HttpMethod.GET && events.matches()) {
            return Optional.of(new CredentialRequests.StreamTokenRequest(streamTokens.getFirst(),
                    jobId(events.group(1))));
        }
        return Optional.empty(); // a stream_token elsewhere is no credential: only the events path takes one
    }

    private AuthenticationRequest bearer(String authorization) {
        if (authorization.length() <= BEARER.length()
                || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            throw InvalidCredential.of("The Authorization header must be 'Bearer <credential>'.");
        }
        String credential = authorization.substring(BEARER.length()).trim();
        // Without JWTs every bearer credential is a key; with them, the bootstrap admin key, which need not look like
        // an API key, must not be taken for a JWT (compared last: it costs an HMAC, which the provider repeats).
        if (!config.auth().jwt().enabled() || ApiKeyFormat.claims(credential)
                || secret.isBootstrapAdminKey(credential)) {
            return new CredentialRequests.ApiKeyRequest(credential);
        }
        return new TokenAuthenticationRequest(new JsonWebTokenCredential(credential));
    }

    private static UUID jobId(String id) {
        try {
            return UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            throw InvalidCredential.of("The stream token is for another job.");
        }
    }

    private Uni<SecurityIdentity> refuse(RoutingContext context, AuthenticationFailedException invalid) {
        context.put(AuthProblems.FAILURE, invalid);
        return Uni.createFrom().failure(invalid);
    }

    /** 401 problem+json, with the challenge that says whether a credential is missing or was refused. */
    @Override
    public Uni<Boolean> sendChallenge(RoutingContext context) {
        problems.unauthorized(context);
        return Uni.createFrom().item(true);
    }

    @Override
    public Uni<ChallengeData> getChallenge(RoutingContext context) {
        return Uni.createFrom().item(new ChallengeData(401, "WWW-Authenticate",
                AuthProblems.challenge(context)));
    }

    @Override
    public Set<Class<? extends AuthenticationRequest>> getCredentialTypes() {
        return Set.of(CredentialRequests.ApiKeyRequest.class, CredentialRequests.StreamTokenRequest.class,
                TokenAuthenticationRequest.class);
    }

    @Override
    public Uni<HttpCredentialTransport> getCredentialTransport(RoutingContext context) {
        return Uni.createFrom().item(new HttpCredentialTransport(HttpCredentialTransport.Type.AUTHORIZATION,
                "bearer"));
    }
}
