package io.texttoimage.gateway;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;

/**
 * The receiver's check, line for line as the docs' Python and Node snippets do it (docs/gateway-api.md, "Verifying
 * a delivery"), so that the tests verify real deliveries the way a reader of the docs would.
 */
final class WebhookVerifier {
    private WebhookVerifier() {
    }

    static boolean verify(String secret, String id, String timestamp, String signatures, byte[] body,
                          long toleranceSeconds) throws Exception {
        byte[] key = Base64.getDecoder().decode(secret.replaceFirst("^whsec_", ""));
        if (Math.abs(Instant.now().getEpochSecond() - Long.parseLong(timestamp)) > toleranceSeconds) {
            return false; // too old (or from the future): maybe a replay
        }
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
        mac.update((id + "." + timestamp + ".").getBytes(StandardCharsets.UTF_8));
        byte[] expected = mac.doFinal(body);
        return Arrays.stream(signatures.split(" ")).filter(signature -> signature.startsWith("v1,"))
                .anyMatch(signature -> MessageDigest.isEqual(expected,
                        Base64.getDecoder().decode(signature.substring(3))));
    }
}
