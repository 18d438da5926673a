package io.texttoimage.gateway;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.texttoimage.contracts.GenerationRequested;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.endsWith;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * While the gateway cannot reach PostgreSQL (its connections cut by a relay; the real server keeps running for
 * everyone else): submissions and reads are 503 problem+json with Retry-After naming the database, never 500,
 * nothing is half-written or published, readiness goes DOWN; when the database is reachable again everything works
 * without a restart and readiness comes back UP by itself.
 */
@QuarkusTest
@WithTestResource(DatabaseOutageTestResources.class)
class DatabaseOutageTest extends WithFakeGenerator {
    /** Health and metrics are on the management interface, not on the API's port. */
    @TestHTTPResource(value = "/", management = true)
    java.net.URL management;

    private static final String PROBLEM = "application/problem+json";
    private static final Duration RECOVERY = Duration.ofSeconds(30);

    @Test
    void withoutTheDatabaseRequestsAre503AndNothingIsHalfWrittenThenItRecoversByItself() throws Exception {
        String before = given().contentType(ContentType.JSON).body("{\"prompt\":\"before the outage\"}")
                .post("/generated-images").then().statusCode(201).extract().path("id");

        DatabaseOutageTestResources.database.cut();
        try {
            given().contentType(ContentType.JSON).body("{\"prompt\":\"during the outage\"}").post("/generated-images")
                    .then().statusCode(503).contentType(PROBLEM)
                    .header("Retry-After", equalTo("5"))
                    .body("type", endsWith("/database-unavailable"))
                    .body("detail", containsString("PostgreSQL"));
            given().get("/generated-images/" + before).then().statusCode(503).contentType(PROBLEM)
                    .body("type", endsWith("/database-unavailable"));
            given().get("/generated-images").then().statusCode(503).contentType(PROBLEM)
                    .body("type", endsWith("/database-unavailable"));
            given().delete("/generated-images/" + before).then().statusCode(503).contentType(PROBLEM)
                    .body("type", endsWith("/database-unavailable"));
            Eventually.await(RECOVERY, "readiness DOWN", () -> given().port(management.getPort()).get("/q/health/ready").statusCode() == 503);
        } finally {
            DatabaseOutageTestResources.database.restore();
        }

        Eventually.await(RECOVERY, "readiness UP again", () -> given().port(management.getPort()).get("/q/health/ready").statusCode() == 200);
        Eventually.await(RECOVERY, "submissions accepted again", () -> given().contentType(ContentType.JSON)
                .body("{\"prompt\":\"after the outage\"}").post("/generated-images").statusCode() == 201);
        given().get("/generated-images/" + before).then().statusCode(200).body("status", equalTo("queued"));
        given().get("/generated-images?size=100").then().statusCode(200)
                .body("items.prompt", org.hamcrest.Matchers.not(org.hamcrest.Matchers.hasItem("during the outage")));
        // Nothing was published for the refused submission: every message up to one sent after it is accounted for.
        String marker = given().contentType(ContentType.JSON).body("{\"prompt\":\"marker\"}")
                .post("/generated-images").then().statusCode(201).extract().path("id");
        List<GenerationRequested> published = generator.takeRequestsUntil(UUID.fromString(marker), RECOVERY);
        assertTrue(published.stream().noneMatch(request -> request.prompt().equals("during the outage")),
                "published: " + published);
    }
}
