package io.texttoimage.gateway.auth;

import io.texttoimage.gateway.config.GatewayConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.Optional;
import java.util.UUID;

/**
 * Short-lived tokens that let a browser's EventSource, which cannot send an Authorization header, follow one job:
 * {@code GET /generated-images/{id}/events?stream_token=…}. A token is the job id, the caller (owner, admin) and an
 * expiry, HMAC-signed with the server secret; it never contains the credential it was issued to, and is valid for
 * its own job only.
 */
@ApplicationScoped
public class StreamTokens {
    /** Sets the signed text apart from anything else the secret signs (API keys start with {@code t2i_}). */
    private static final String PURPOSE = "t2i-stream-token-v1";
    private static final Base64.Encoder ENCODE = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder DECODE = Base64.getUrlDecoder();

    private final ServerSecret secret;
    private final GatewayConfig config;
    private final CurrentCaller caller;
    private final Clock clock;

    @Inject
    StreamTokens(ServerSecret secret, GatewayConfig config, CurrentCaller caller) {
        this(secret, config, caller, Clock.systemUTC());
    }

    StreamTokens(ServerSecret secret, GatewayConfig config, CurrentCaller caller, Clock clock) {
        this.secret = secret;
        this.config = config;
        this.caller = caller;
        this.clock = clock;
    }

    /** The answer of {@code POST /generated-images/{id}/stream-token}. */
    public record StreamToken(String token, Instant expiresAt) {
    }

    /** A token for following {@code jobId} as the current request's caller, valid for the configured lifetime. */
    public StreamToken issue(UUID jobId) {
        return issue(jobId, caller.get());
    }

    StreamToken issue(UUID jobId, Caller caller) {
        Instant expiresAt = clock.instant().plus(config.auth().streamTokenTtl()).truncatedTo(ChronoUnit.SECONDS);
        String payload = jobId + "|" + expiresAt.getEpochSecond() + "|" + (caller.admin() ? 1 : 0) + "|"
                + caller.owner();
        String encoded = ENCODE.encodeToString(payload.getBytes(StandardCharsets.UTF_8));
        return new StreamToken(encoded + "." + ENCODE.encodeToString(sign(encoded)), expiresAt);
    }

    /**
     * The caller the token was issued to, if it is genuine, unexpired and for {@code jobId}.
     *
     * @throws io.quarkus.security.AuthenticationFailedException saying which of these it is not
     */
    Caller verify(String token, UUID jobId) {
        int dot = token.indexOf('.');
        Optional<byte[]> signature = dot < 0 ? Optional.empty() : decode(token.substring(dot + 1));
        if (signature.isEmpty() || !MessageDigest.isEqual(signature.get(), sign(token.substring(0, dot)))) {
            throw InvalidCredential.of("The stream token is not one this gateway issued.");
        }
        String[] fields = new String(DECODE.decode(token.substring(0, dot)), StandardCharsets.UTF_8)
                .split("\\|", 4);
        if (!fields[0].equals(jobId.toString())) {
            throw InvalidCredential.of("The stream token is for another job; ask POST /generated-images/" + jobId
                    + "/stream-token for one of this job.");
        }
        Instant expiresAt = Instant.ofEpochSecond(Long.parseLong(fields[1]));
        if (!clock.instant().isBefore(expiresAt)) {
            throw InvalidCredential.of("The stream token expired at " + expiresAt
                    + "; ask POST /generated-images/" + jobId + "/stream-token for a new one.");
        }
        return new Caller(fields[3], fields[2].equals("1"), Optional.empty(), Caller.QuotaOverrides.NONE);
    }

    private byte[] sign(String encodedPayload) {
        return secret.hmac(PURPOSE + "|" + encodedPayload);
    }

    private static Optional<byte[]> decode(String base64) {
        try {
            return Optional.of(DECODE.decode(base64));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
