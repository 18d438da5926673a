package io.texttoimage.storage;

import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Optional;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * Only an authenticated gateway may have URLs signed: every REST call needs {@code Authorization: Bearer <token>}
 * with one of {@code t2i.storage.gateway-tokens} (several, so a rotation can accept the old and the new token for a
 * while). Health and metrics are not REST resources and stay open to the kubelet and Prometheus. Tokens are compared
 * as SHA-256 digests with {@link MessageDigest#isEqual}, so neither the comparison's time nor a token's length leaks.
 */
@Startup // a missing or short token fails start-up, not the first request
@ApplicationScoped
public class GatewayAuthentication {
    /** 128 bits of a random token in base64 are 22 characters; anything shorter is a password someone typed. */
    static final int MIN_TOKEN_LENGTH = 22;
    private static final String BEARER = "Bearer ";

    private final List<byte[]> acceptedDigests;

    public GatewayAuthentication(StorageConfig config) {
        List<String> tokens = config.gatewayTokens().stream().map(String::strip).filter(t -> !t.isEmpty()).toList();
        if (tokens.isEmpty()) {
            throw new IllegalStateException("t2i.storage.gateway-tokens (T2I_STORAGE_GATEWAY_TOKENS) is empty: set the"
                    + " token the gateways send (t2i.storage-adapter.token), see docs/security.md");
        }
        for (String token : tokens) {
            if (token.length() < MIN_TOKEN_LENGTH) {
                throw new IllegalStateException("t2i.storage.gateway-tokens holds a token of " + token.length()
                        + " characters; use at least " + MIN_TOKEN_LENGTH + " random ones (e.g. openssl rand -base64 24)");
            }
        }
        this.acceptedDigests = tokens.stream().map(GatewayAuthentication::digest).toList();
    }

    @ServerRequestFilter
    public Optional<Response> authenticate(ContainerRequestContext request) {
        String header = request.getHeaderString(HttpHeaders.AUTHORIZATION);
        if (header == null || !header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return Optional.of(unauthorized(request, "This API is for the gateway only: send its token as 'Authorization: Bearer"
                    + " <token>' (t2i.storage-adapter.token on the gateway)."));
        }
        byte[] presented = digest(header.substring(BEARER.length()).strip());
        // Every accepted digest is compared, so the time taken does not tell which one (if any) matched.
        boolean accepted = false;
        for (byte[] digest : acceptedDigests) {
            accepted |= MessageDigest.isEqual(digest, presented);
        }
        return accepted ? Optional.empty() : Optional.of(unauthorized(request,
                "The bearer token is not one this storage adapter accepts (t2i.storage.gateway-tokens)."));
    }

    private static Response unauthorized(ContainerRequestContext request, String detail) {
        Response problem = Problem.response(Response.Status.UNAUTHORIZED, detail, request.getUriInfo().getRequestUri().getPath());
        return Response.fromResponse(problem).header(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"storage-adapter\"").build();
    }

    private static byte[] digest(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
