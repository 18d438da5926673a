package io.texttoimage.gateway;

import static io.restassured.RestAssured.given;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What the production overlay sets (QUARKUS_SMALLRYE_OPENAPI_ENABLED=false, QUARKUS_SWAGGER_UI_ENABLED=false): the
 * OpenAPI document and Swagger UI are gone from the API port, and the API itself still answers.
 */
@QuarkusTest
@TestProfile(ApiDescriptionOffTest.Off.class)
@WithTestResource(GatewayTestResources.class)
class ApiDescriptionOffTest {

    public static class Off implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quarkus.smallrye-openapi.enabled", "false", "quarkus.swagger-ui.enabled", "false");
        }
    }

    @Test
    void noOpenApiDocumentAndNoSwaggerUiWhenSwitchedOff() {
        given().get("/q/openapi").then().statusCode(404);
        given().get("/q/swagger-ui/").then().statusCode(404);
        given().get("/capabilities").then().statusCode(200);
    }
}
