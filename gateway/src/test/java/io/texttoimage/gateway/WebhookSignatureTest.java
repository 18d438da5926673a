package io.texttoimage.gateway;

import io.texttoimage.gateway.webhook.WebhookSignature;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The signing scheme against a vector made by the docs' Python snippet, and the snippet's checks mirrored. */
class WebhookSignatureTest {
    private static final String SECRET = GatewayTestResources.WEBHOOK_SECRET;
    private static final String ID = "6a1f0c9e-5a57-4d0e-9d55-2f0f5e3c8a11";
    private static final byte[] BODY = ("{\"id\":\"6a1f0c9e-5a57-4d0e-9d55-2f0f5e3c8a11\",\"status\":\"succeeded\","
            + "\"prompt\":\"a lighthouse \u00e0 l'aube\"}").getBytes(StandardCharsets.UTF_8);

    @Test
    void theSignatureIsTheOneThePythonSnippetComputes() {
        // python3: base64.b64encode(hmac.new(key, f"{id}.{ts}.".encode() + body, hashlib.sha256).digest())
        assertEquals("v1,72M+pWj9WipGfKAbOjxNg7jXQUyn6knvOjFC9fbcZI0=",
                WebhookSignature.of(SECRET).sign(ID, 1764600000L, BODY));
    }

    @Test
    void theSnippetsChecksAcceptTheRealSignatureOnlyForTheSameBytesAndAFreshTimestamp() throws Exception {
        long now = Instant.now().getEpochSecond();
        String signature = WebhookSignature.of(SECRET).sign(ID, now, BODY);
        String stamp = Long.toString(now);
        assertTrue(WebhookVerifier.verify(SECRET, ID, stamp, signature, BODY, 300));
        assertTrue(WebhookVerifier.verify(SECRET, ID, stamp, "v1,c29tZXRoaW5nIGVsc2U= " + signature, BODY, 300),
                "one of several signatures (a secret being rotated) is enough");
        byte[] changed = (new String(BODY, StandardCharsets.UTF_8) + " ").getBytes(StandardCharsets.UTF_8);
        assertFalse(WebhookVerifier.verify(SECRET, ID, stamp, signature, changed, 300), "another body");
        assertFalse(WebhookVerifier.verify(SECRET, "other-id", stamp, signature, BODY, 300), "another id");
        String old = Long.toString(now - 600);
        assertFalse(WebhookVerifier.verify(SECRET, ID, old, WebhookSignature.of(SECRET).sign(ID, now - 600, BODY),
                BODY, 300), "a replay ten minutes later");
    }

    @Test
    void aMalformedSecretIsRefusedWithItsReason() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> WebhookSignature.of("hunter2")).getMessage()
                .contains("must start with 'whsec_'"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> WebhookSignature.of("whsec_AAAA"))
                .getMessage().contains("24 to 64 bytes (it has 3)"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> WebhookSignature.of("whsec_!!"))
                .getMessage().contains("not base64"));
    }
}
