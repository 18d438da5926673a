package io.texttoimage.gateway;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;

/** {@code t2i.gateway.quotas.enabled=false}: no limit is checked, however low, and jobs still get their owner. */
@QuarkusTest
@TestProfile(QuotasOffTest.Off.class)
@WithTestResource(GatewayTestResources.class)
class QuotasOffTest {

    public static class Off implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("t2i.gateway.quotas.enabled", "false",
                    "t2i.gateway.quotas.max-active-jobs", "1",
                    "t2i.gateway.quotas.submissions-per-minute", "1",
                    "t2i.gateway.quotas.images-per-day", "1");
        }
    }

    @Test
    void withQuotasOffNoLimitRefusesASubmission() {
        String owner = "unlimited-" + UUID.randomUUID();
        for (int i = 0; i < 3; i++) {
            given().header(TestCallers.OWNER, owner).header(TestCallers.QUOTAS, "active=1,minute=1,day=1")
                    .contentType(ContentType.JSON).body("{\"prompt\":\"no quota " + i + "\",\"num_images\":2}")
                    .post("/generated-images").then().statusCode(201).body("owner", equalTo(owner));
        }
        String key = UUID.randomUUID().toString();
        String id = given().header(TestCallers.OWNER, owner).header("Idempotency-Key", key)
                .contentType(ContentType.JSON).body("{\"prompt\":\"keyed\"}").post("/generated-images")
                .then().statusCode(201).extract().path("id");
        given().header(TestCallers.OWNER, owner).header("Idempotency-Key", key).contentType(ContentType.JSON)
                .body("{\"prompt\":\"keyed\"}").post("/generated-images").then().statusCode(200)
                .body("id", equalTo(id));
    }
}
