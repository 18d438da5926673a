package io.texttoimage.gateway.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** What makes two submissions "the same request" for an Idempotency-Key, across versions of the request body. */
class IdempotencyFingerprintTest {
    private static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);

    @Test
    void onlyTheFieldsGivenCountSoANewOptionalFieldChangesNoOldFingerprint() throws Exception {
        SubmitJobRequest request = JSON.readValue("{\"prompt\":\"a fox\",\"num_steps\":20}", SubmitJobRequest.class);
        // The rule, written out: name:length:text of each given field, in the record's order.
        MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
        sha256.update("prompt:5:a fox".getBytes(StandardCharsets.UTF_8));
        sha256.update("numSteps:2:20".getBytes(StandardCharsets.UTF_8));
        assertEquals(HexFormat.of().formatHex(sha256.digest()), IdempotencyKey.fingerprint(request));
    }

    @Test
    void anAbsentFieldAndItsDefaultAreDifferentRequests() throws Exception {
        SubmitJobRequest absent = JSON.readValue("{\"prompt\":\"a fox\"}", SubmitJobRequest.class);
        SubmitJobRequest explicit = JSON.readValue("{\"prompt\":\"a fox\",\"previews\":false}", SubmitJobRequest.class);
        SubmitJobRequest reordered = JSON.readValue("{ \"previews\" : false, \"prompt\" : \"a fox\" }", SubmitJobRequest.class);
        assertNotEquals(IdempotencyKey.fingerprint(absent), IdempotencyKey.fingerprint(explicit));
        assertEquals(IdempotencyKey.fingerprint(explicit), IdempotencyKey.fingerprint(reordered));
    }
}
