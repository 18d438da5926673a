package io.texttoimage.gateway.auth;

import io.texttoimage.gateway.config.GatewayConfig;
import io.quarkus.runtime.Startup;
import jakarta.inject.Singleton;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;

/**
 * HMAC-SHA-256 under the server secret ({@code t2i.gateway.auth.secret}): how API keys are stored and stream tokens
 * signed. With authentication off and no secret set, a random one of this process stands in (stream tokens then
 * still work, though only on this replica; nothing needs them).
 */
@Startup // built, and so its settings checked, when the gateway starts: a bad secret stops the start
@Singleton
public class ServerSecret {
    private static final String ALGORITHM = "HmacSHA256";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final SecretKeySpec key;
    private final Optional<byte[]> bootstrapAdminKeyHash;

    ServerSecret(GatewayConfig config) {
        GatewayConfig.Auth auth = config.auth();
        AuthSettings.requireValid(auth);
        byte[] secret = auth.secret().map(s -> s.getBytes(StandardCharsets.UTF_8)).orElseGet(() -> random(32));
        this.key = new SecretKeySpec(secret, ALGORITHM);
        this.bootstrapAdminKeyHash = auth.bootstrapAdminKey().map(this::hmac);
    }

    /** HMAC-SHA-256 of the text's UTF-8 bytes. */
    public byte[] hmac(String text) {
        try {
            Mac mac = Mac.getInstance(ALGORITHM); // cheap, and not thread-safe: one per call
            mac.init(key);
            return mac.doFinal(text.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }

    /** Whether the credential is the configured bootstrap admin key; compared in constant time, as HMACs. */
    boolean isBootstrapAdminKey(String credential) {
        return bootstrapAdminKeyHash.isPresent() && isBootstrapAdminKeyHash(hmac(credential));
    }

    /** The same for a credential whose HMAC the caller has already computed (an API key's lookup needs it too). */
    boolean isBootstrapAdminKeyHash(byte[] credentialHash) {
        return bootstrapAdminKeyHash.map(expected -> MessageDigest.isEqual(expected, credentialHash)).orElse(false);
    }

    /** A new API key: {@code t2i_} and 43 base64url characters, 32 random bytes. */
    public static String newApiKey() {
        return ApiKeyFormat.PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(random(32));
    }

    private static byte[] random(int bytes) {
        byte[] value = new byte[bytes];
        RANDOM.nextBytes(value);
        return value;
    }
}
