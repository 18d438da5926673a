package io.texttoimage.gateway.webhook;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;

/**
 * How deliveries are signed: the Standard Webhooks scheme (standardwebhooks.com), so its libraries verify them. The
 * headers {@code webhook-id} (the message id, the same on every retry), {@code webhook-timestamp} (Unix seconds of
 * this attempt) and {@code webhook-signature} ({@code v1,} and the base64 HMAC-SHA256 of
 * {@code "<id>.<timestamp>.<body>"}, keyed with the secret's base64-decoded bytes). The docs' verification snippets
 * (docs/gateway-api.md, "Webhooks") follow this class; {@code WebhookSignatureTest} runs their logic against it.
 */
public final class WebhookSignature {
    public static final String ID = "webhook-id";
    public static final String TIMESTAMP = "webhook-timestamp";
    public static final String SIGNATURE = "webhook-signature";
    static final String SECRET_PREFIX = "whsec_";

    private final SecretKeySpec key;

    private WebhookSignature(byte[] key) {
        this.key = new SecretKeySpec(key, "HmacSHA256");
    }

    /**
     * The signer of a configured secret: {@code whsec_} and the base64 of 24 to 64 bytes; throws
     * {@link IllegalArgumentException} with a sentence saying what is wrong (never the secret itself).
     */
    public static WebhookSignature of(String secret) {
        if (!secret.startsWith(SECRET_PREFIX)) {
            throw new IllegalArgumentException("t2i.gateway.webhooks.secret must start with 'whsec_' followed by the "
                    + "base64 of 24 to 64 random bytes, e.g. whsec_$(openssl rand -base64 32)");
        }
        byte[] key;
        try {
            key = Base64.getDecoder().decode(secret.substring(SECRET_PREFIX.length()));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("t2i.gateway.webhooks.secret: what follows 'whsec_' is not base64");
        }
        if (key.length < 24 || key.length > 64) {
            throw new IllegalArgumentException("t2i.gateway.webhooks.secret must carry 24 to 64 bytes (it has "
                    + key.length + "), e.g. whsec_$(openssl rand -base64 32)");
        }
        return new WebhookSignature(key);
    }

    /** The {@code webhook-signature} value of one attempt. */
    public String sign(String messageId, long timestampSeconds, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            mac.update((messageId + "." + timestampSeconds + ".").getBytes(StandardCharsets.UTF_8));
            return "v1," + Base64.getEncoder().encodeToString(mac.doFinal(body));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }
}
