package io.texttoimage.gateway.auth;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.texttoimage.gateway.GatewayTestResources;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;

/** The test and dev default: authentication off, every request the unauthenticated caller, credentials ignored. */
@QuarkusTest
@WithTestResource(GatewayTestResources.class)
class AuthDisabledTest {
    @Inject
    Pool pool;

    @Test
    void everyRequestIsTheUnauthenticatedCallerWhateverItSends() {
        given().get("/test-only/whoami").then().statusCode(200)
                .body("owner", equalTo(Caller.ANONYMOUS_OWNER)).body("admin", equalTo(true))
                .body("key_id", nullValue());
        given().auth().oauth2("t2i_" + "A".repeat(43)).get("/test-only/whoami").then().statusCode(200)
                .body("owner", equalTo(Caller.ANONYMOUS_OWNER));
        given().auth().oauth2("not.a.jwt").get("/capabilities").then().statusCode(200);
        given().header("Authorization", "Basic dXNlcjpwYXNz").get("/admin/api-keys").then().statusCode(200);
    }

    @Test
    void streamTokensAreStillIssuedSoTheWebPageWorksTheSameWay() {
        String job = given().contentType(ContentType.JSON).body("{\"prompt\":\"auth off\"}").post("/generated-images")
                .then().statusCode(201).extract().path("id");
        given().post("/generated-images/" + job + "/stream-token").then().statusCode(201)
                .body("token", notNullValue()).body("expires_at", notNullValue());
    }

    /** Unauthenticated callers own 'anonymous' jobs and see every owner's job, as before owners existed. */
    @Test
    void withoutACallerJobsAreAnonymousAndEveryOwnersJobIsSeen() {
        String mine = given().contentType(ContentType.JSON).body("{\"prompt\":\"no caller\"}")
                .post("/generated-images").then().statusCode(201).body("owner", equalTo(Caller.ANONYMOUS_OWNER))
                .extract().path("id");
        String alice = "alice-" + UUID.randomUUID();
        UUID alices = insertFinishedJobOf(alice);
        given().get("/generated-images/" + alices).then().statusCode(200).body("owner", equalTo(alice));
        given().get("/generated-images/" + mine).then().statusCode(200);
    }

    /** A job of another owner, as if submitted while authentication was on: none can be submitted now. */
    private UUID insertFinishedJobOf(String owner) {
        UUID id = UUID.randomUUID();
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        pool.preparedQuery("""
                        INSERT INTO generated_images (id, status, prompt, num_steps, guidance_scale, seed, num_images,
                            total_steps, created_at, updated_at, finished_at, owner)
                        VALUES ($1, 'SUCCEEDED', 'submitted with a key', 1, 7.5, 1, 1, 1, $2, $2, $2, $3)""")
                .execute(Tuple.of(id, now, owner)).await().atMost(Duration.ofSeconds(5));
        return id;
    }
}
