package io.texttoimage.gateway;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.texttoimage.contracts.JobEventType;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.URL;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * queue_timeout and run_timeout, enforced by the gateway itself against real PostgreSQL and RabbitMQ: here no
 * generator ever runs the jobs, and they still end, with the reason in the record and on every stream, and a cancel
 * broadcast so that a generator skips or stops them.
 */
@QuarkusTest
@WithTestResource(GatewayTestResources.class)
class JobDeadlinesTest extends WithFakeGenerator {
    private static final Duration WAIT = Duration.ofSeconds(15);

    @TestHTTPResource("/generated-images")
    URL base;

    @Test
    void theServersDefaultsAreInTheRecord() {
        given().contentType(ContentType.JSON).body("{\"prompt\":\"default deadlines\"}").post("/generated-images")
                .then().statusCode(201).body("queue_timeout", equalTo(3600)).body("run_timeout", equalTo(1800));
        given().contentType(ContentType.JSON).body("{\"prompt\":\"own deadlines\",\"queue_timeout\":60,"
                        + "\"run_timeout\":120}").post("/generated-images")
                .then().statusCode(201).body("queue_timeout", equalTo(60)).body("run_timeout", equalTo(120));
    }

    @Test
    void deadlinesOutsideTheServersLimitsAreFieldErrors() {
        for (String field : List.of("queue_timeout", "run_timeout")) {
            for (long value : List.of(0L, -5L, 86_401L * 10)) {
                given().contentType(ContentType.JSON)
                        .body("{\"prompt\":\"bad deadline\",\"" + field + "\":" + value + "}")
                        .post("/generated-images")
                        .then().statusCode(400).contentType("application/problem+json")
                        .body("errors[0].field", equalTo(field));
            }
        }
        given().contentType(ContentType.JSON).body("{\"prompt\":\"just too long\",\"queue_timeout\":86401}")
                .post("/generated-images").then().statusCode(400)
                .body("errors[0].message", containsString("at most 86400 seconds"));
    }

    @Test
    void aJobNoGeneratorStartsInTimeFailsWithoutRunning() throws Exception {
        String id = given().contentType(ContentType.JSON).body("{\"prompt\":\"nobody takes me\",\"queue_timeout\":1}")
                .post("/generated-images").then().statusCode(201).extract().path("id");
        UUID jobId = UUID.fromString(id);
        try (SseClient stream = new SseClient(URI.create(base + "/" + id + "/events"), null)) {
            List<SseClient.Event> events = stream.untilEnd(WAIT);
            SseClient.Event last = events.getLast();
            assertEquals("failed", last.name(), "events: " + events);
            assertTrue(last.data().get("error").asText().contains("expired in the queue"), last.data().toString());
        }
        given().get("/generated-images/" + id).then().statusCode(200).body("status", equalTo("failed"))
                .body("error", containsString("no generator started it within 1 s"));
        assertNotNull(generator.takeCancel(jobId, WAIT), "a generator that takes it later is told to skip it");
    }

    @Test
    void aJobRunningPastItsRunTimeoutIsStoppedAndFails() throws Exception {
        String id = given().contentType(ContentType.JSON).body("{\"prompt\":\"runs too long\",\"run_timeout\":1}")
                .post("/generated-images").then().statusCode(201).extract().path("id");
        UUID jobId = UUID.fromString(id);
        generator.takeRequest(jobId, WAIT);
        try (SseClient stream = new SseClient(URI.create(base + "/" + id + "/events"), null)) {
            assertEquals("queued", stream.nextNonHeartbeat(WAIT).name());
            generator.publish(FakeGenerator.running(jobId, 1, 50));
            generator.publish(FakeGenerator.event(jobId, JobEventType.PROGRESS, 2, 1, 50));

            List<SseClient.Event> events = stream.untilEnd(WAIT);

            assertEquals("failed", events.getLast().name(), "events: " + events);
            assertTrue(events.getLast().data().get("error").asText().contains("run timeout of 1 s"),
                    events.getLast().data().toString());
        }
        assertNotNull(generator.takeCancel(jobId, WAIT), "the generator running it is told to stop");
        // The generator stops and reports it; the end the gateway decided stays.
        generator.publish(FakeGenerator.event(jobId, JobEventType.CANCELLED, 3, 2, 50));
        String marker = given().contentType(ContentType.JSON).body("{\"prompt\":\"marker\"}").post("/generated-images")
                .then().statusCode(201).extract().path("id");
        generator.publish(FakeGenerator.running(UUID.fromString(marker), 1, 5));
        Eventually.await(WAIT, "the marker's RUNNING is stored", () -> "running".equals(
                given().get("/generated-images/" + marker).then().extract().path("status")));
        given().get("/generated-images/" + id).then().statusCode(200).body("status", equalTo("failed"));
    }
}
