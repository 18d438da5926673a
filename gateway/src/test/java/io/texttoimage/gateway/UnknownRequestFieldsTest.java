package io.texttoimage.gateway;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

/** A request body field the API does not know is a 400 problem naming it, with the field probably meant. */
@QuarkusTest
@WithTestResource(GatewayTestResources.class)
class UnknownRequestFieldsTest {
    private static final String PROBLEM = "application/problem+json";

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "numSteps        | num_steps",       // camelCase
            "numImages       | num_images",
            "NegativePrompt  | negative_prompt",
            "guidance-scale  | guidance_scale",  // kebab-case
            "num_stpes       | num_steps",       // misspelt: transposition
            "num_step        | num_steps",       // misspelt: a letter missing
            "promt           | prompt",
            "seeds           | seed",
            "schedular       | scheduler",
    })
    void anUnknownFieldIsRefusedWithTheClosestKnownOne(String unknown, String meant) {
        String message = "unknown field '" + unknown + "': did you mean '" + meant + "'?";
        given().contentType(ContentType.JSON).body("{\"prompt\":\"x\",\"" + unknown + "\":5}")
                .post("/generated-images")
                .then().statusCode(400).contentType(PROBLEM)
                .body("type", equalTo("https://texttoimage.io/problems/invalid-request"))
                .body("title", equalTo("Invalid request"))
                .body("status", equalTo(400))
                .body("detail", equalTo(message))
                .body("instance", equalTo("/generated-images"))
                .body("errors.field", equalTo(List.of(unknown)))
                .body("errors.message", equalTo(List.of(message)));
    }

    @Test
    void theIssuesExampleNoLongerQueuesFiftyStepsAndOneImage() {
        given().contentType(ContentType.JSON).body("{\"prompt\":\"camel\",\"numSteps\":5,\"numImages\":2}")
                .post("/generated-images")
                .then().statusCode(400).contentType(PROBLEM)
                .body("errors.field", equalTo(List.of("numSteps")))
                .body("detail", equalTo("unknown field 'numSteps': did you mean 'num_steps'?"));
    }

    @ParameterizedTest
    @CsvSource({"colour", "style", "x", "model_name"})
    void aFieldLikeNoKnownOneIsRefusedWithoutASuggestion(String unknown) {
        given().contentType(ContentType.JSON).body("{\"prompt\":\"x\",\"" + unknown + "\":\"blue\"}")
                .post("/generated-images")
                .then().statusCode(400).contentType(PROBLEM)
                .body("title", equalTo("Invalid request"))
                .body("detail", equalTo("unknown field '" + unknown + "'"))
                .body("errors.field", equalTo(List.of(unknown)))
                .body("errors.message", equalTo(List.of("unknown field '" + unknown + "'")));
    }

    @Test
    void aValidBodyIsStillAccepted() {
        given().contentType(ContentType.JSON)
                .body("{\"prompt\":\"snake\",\"num_steps\":5,\"num_images\":2,\"guidance_scale\":3.0}")
                .post("/generated-images")
                .then().statusCode(201).contentType(ContentType.JSON)
                .header("Location", startsWith("/generated-images/")) // relative: no public base URL is configured
                .body("num_steps", equalTo(5))
                .body("num_images", equalTo(2));
    }
}
