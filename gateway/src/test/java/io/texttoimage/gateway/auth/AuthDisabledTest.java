package io.texttoimage.gateway.auth;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.texttoimage.gateway.GatewayTestResources;
import org.junit.jupiter.api.Test;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;

/** The test and dev default: authentication off, every request the unauthenticated caller, credentials ignored. */
@QuarkusTest
@WithTestResource(GatewayTestResources.class)
class AuthDisabledTest {

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
}
