package io.texttoimage.generator.service;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.texttoimage.contracts.JobEvent;
import io.texttoimage.contracts.JobEventType;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A worker started while RabbitMQ cannot be reached starts anyway (it used to exit with a ConnectException), is not
 * ready while it waits, and takes jobs once the broker can be reached: the real worker on the tiny model, the real
 * RabbitMQ behind a relay that refuses connections until the test restores it.
 */
@QuarkusTest
@QuarkusTestResource(value = BrokerLaterTestResource.class, restrictToAnnotatedClass = true)
class BrokerLaterTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(120);

    /** Health is on the management interface, not on the API's port. */
    @TestHTTPResource(value = "/", management = true)
    URL management;

    @Inject
    ObjectMapper json;

    @Test
    void aWorkerStartedBeforeItsBrokerWaitsNotReadyAndTakesJobsOnceTheBrokerIsThere() throws Exception {
        given().port(management.getPort()).get("/q/health/live").then().statusCode(200);
        given().port(management.getPort()).get("/q/health/ready").then().statusCode(503)
                .body("checks.find { it.name == 'rabbitmq' }.status", equalTo("DOWN"));

        BrokerLaterTestResource.link.restore();
        BrokerHarness.awaitTrue("the worker is ready once RabbitMQ can be reached", TIMEOUT,
                () -> given().port(management.getPort()).get("/q/health/ready").statusCode() == 200);
        given().port(management.getPort()).get("/q/health/ready").then()
                .body("checks.find { it.name == 'rabbitmq' }.status", equalTo("UP"))
                .body("checks.find { it.name == 'jobs' }.status", equalTo("UP"));

        try (BrokerHarness broker = new BrokerHarness(GeneratorTestResource.topology, json)) {
            UUID jobId = UUID.randomUUID();
            broker.publish(BrokerHarness.job(jobId, 2, null, null, null, 1));
            List<JobEvent> events = broker.awaitTerminal(jobId, TIMEOUT);
            assertEquals(JobEventType.SUCCEEDED, events.get(events.size() - 1).type(), events.toString());
        }
    }
}
