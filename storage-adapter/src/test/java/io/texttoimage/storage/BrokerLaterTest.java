package io.texttoimage.storage;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.texttoimage.contracts.ImageStored;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * An adapter started while RabbitMQ cannot be reached starts anyway (it used to fail its start), is not ready while
 * it waits, and stores images once the broker can be reached: the real RabbitMQ behind a relay that refuses
 * connections until the test restores it.
 */
@QuarkusTest
@QuarkusTestResource(value = StorageTestResource.class, restrictToAnnotatedClass = false)
@QuarkusTestResource(value = BrokerLaterTestResource.class, restrictToAnnotatedClass = true)
class BrokerLaterTest {
    /** Health is on the management interface, not on the API's port. */
    @TestHTTPResource(value = "/", management = true)
    URL management;

    @Inject
    ObjectMapper json;

    @Test
    void anAdapterStartedBeforeItsBrokerWaitsNotReadyAndStoresOnceTheBrokerIsThere() throws Exception {
        given().port(management.getPort()).get("/q/health/live").then().statusCode(200);
        given().port(management.getPort()).get("/q/health/ready").then().statusCode(503)
                .body("checks.find { it.name == 'rabbitmq' }.status", equalTo("DOWN"));

        BrokerLaterTestResource.link.restore();
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (given().port(management.getPort()).get("/q/health/ready").statusCode() != 200
                && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        given().port(management.getPort()).get("/q/health/ready").then().statusCode(200)
                .body("checks.find { it.name == 'rabbitmq' }.status", equalTo("UP"));

        try (GeneratorSide generator = new GeneratorSide(json)) {
            UUID jobId = UUID.randomUUID();
            generator.publish(jobId, 0, 1, TestImages.png(16, 8, 1));
            ImageStored stored = generator.awaitStored(jobId);
            assertNull(stored.error());
            assertEquals(ImageStored.keyOf(jobId, 0), stored.key());
        }
    }
}
