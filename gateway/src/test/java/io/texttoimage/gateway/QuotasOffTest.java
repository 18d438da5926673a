package io.texttoimage.gateway;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.texttoimage.gateway.auth.AuthEnabled;
import io.texttoimage.gateway.auth.TestCredentials;
import io.texttoimage.gateway.auth.TestCredentials.Key;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

import static org.hamcrest.Matchers.equalTo;

/**
 * {@code t2i.gateway.quotas.enabled=false}: no limit is checked, however low (the defaults and the key's own), and
 * jobs still get their key's owner.
 */
@QuarkusTest
@TestProfile(QuotasOffTest.Off.class)
@WithTestResource(GatewayTestResources.class)
class QuotasOffTest {

    /** Authentication on as in {@link AuthEnabled}, quotas off, and every default limit at its lowest. */
    public static class Off extends AuthEnabled {
        @Override
        public Map<String, String> getConfigOverrides() {
            Map<String, String> overrides = new HashMap<>(super.getConfigOverrides());
            overrides.putAll(Map.of("t2i.gateway.quotas.enabled", "false",
                    "t2i.gateway.quotas.max-active-jobs", "1",
                    "t2i.gateway.quotas.submissions-per-minute", "1",
                    "t2i.gateway.quotas.images-per-day", "1"));
            return overrides;
        }
    }

    @Test
    void withQuotasOffNoLimitRefusesASubmission() {
        String owner = "unlimited-" + UUID.randomUUID();
        Key key = TestCredentials.key(owner, Map.of("max_active_jobs", 1, "submissions_per_minute", 1,
                "images_per_day", 1));
        for (int i = 0; i < 3; i++) {
            key.request().contentType(ContentType.JSON).body("{\"prompt\":\"no quota " + i + "\",\"num_images\":2}")
                    .post("/generated-images").then().statusCode(201).body("owner", equalTo(owner));
        }
        String idempotencyKey = UUID.randomUUID().toString();
        String id = key.request().header("Idempotency-Key", idempotencyKey)
                .contentType(ContentType.JSON).body("{\"prompt\":\"keyed\"}").post("/generated-images")
                .then().statusCode(201).extract().path("id");
        key.request().header("Idempotency-Key", idempotencyKey).contentType(ContentType.JSON)
                .body("{\"prompt\":\"keyed\"}").post("/generated-images").then().statusCode(200)
                .body("id", equalTo(id));
    }
}
