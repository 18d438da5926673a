package io.texttoimage.gateway;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.texttoimage.contracts.JobEventType;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.URL;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.endsWith;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A client that acts on a terminal SSE event at once must find the record agreeing with it. The database writer
 * (the shared persist queue) is cut off here, so the only way the record can agree is the stream's own write before
 * it sends the event: without it the record would still say running.
 */
@QuarkusTest
@WithTestResource(GatewayTestResources.class)
class ReadYourWritesTest extends WithFakeGenerator {
    private static final Duration WAIT = Duration.ofSeconds(15);

    @TestHTTPResource("/generated-images")
    URL base;
    @Inject
    Pool pool;

    @Test
    void theRecordAndTheDownloadLinkAgreeWithATerminalEventAsSoonAsItIsStreamed() throws Exception {
        for (JobEventType end : List.of(JobEventType.SUCCEEDED, JobEventType.FAILED)) {
            UUID id = submit("read after " + end);
            generator.unbindPersistQueue();
            try (SseClient stream = new SseClient(URI.create(base + "/" + id + "/events"),
                    null)) {
                assertEquals("queued", stream.nextNonHeartbeat(WAIT).name());
                generator.publish(FakeGenerator.running(id, 1, 4));
                generator.publish(end == JobEventType.SUCCEEDED
                        ? FakeGenerator.succeeded(id, 2, 4, List.of("images/" + id + "/0.png"))
                        : FakeGenerator.failed(id, 2, "out of memory"));
                List<SseClient.Event> events = stream.untilEnd(WAIT);
                assertEquals(end.name().toLowerCase(), events.getLast().name());

                // At once, no waiting: the record says what the stream said.
                given().get("/generated-images/" + id).then().statusCode(200)
                        .body("status", equalTo(end.name().toLowerCase()));
                if (end == JobEventType.SUCCEEDED) {
                    given().get("/generated-images/" + id).then().body("image_keys[0]", endsWith("/0.png"));
                    // Not 409 "not ready": the gateway goes on to ask the storage adapter (unreachable in these tests).
                    given().get("/generated-images/" + id + "/url").then().statusCode(503)
                            .body("type", endsWith("/storage-adapter-unavailable"));
                }
            } finally {
                generator.rebindPersistQueue();
            }
        }
    }

    /**
     * A replica's live queue misses events while the replica is down (it is exclusive and auto-delete), so a client
     * that reconnects to it can be following a job whose end it will never hear live. Here the end is written to the
     * database only, as another replica's writer would: the quiet stream must find it and end with it.
     */
    @Test
    void aStreamThatMissedTheEndLiveFindsItInTheDatabaseAndEnds() throws Exception {
        UUID id = submit("ended while this replica was away");
        try (SseClient stream = new SseClient(URI.create(base + "/" + id + "/events"), null)) {
            assertEquals("queued", stream.nextNonHeartbeat(WAIT).name());
            pool.preparedQuery("""
                            UPDATE generated_images SET status = 'SUCCEEDED', last_sequence = 9, current_step = 4,
                                total_steps = 4, progress = 100, image_keys = $2, finished_at = now(), updated_at = now()
                            WHERE id = $1""")
                    .execute(Tuple.of(id, new String[] {"images/" + id + "/0.png"}))
                    .await().atMost(Duration.ofSeconds(5));

            List<SseClient.Event> events = stream.untilEnd(WAIT);

            assertEquals(List.of("succeeded"), events.stream().map(SseClient.Event::name).toList());
            assertEquals("9", events.getFirst().id());
            assertEquals("images/" + id + "/0.png", events.getFirst().data().get("image_keys").get(0).asText());
        }
    }

    private UUID submit(String prompt) throws Exception {
        String id = given().contentType(ContentType.JSON).body("{\"prompt\":\"" + prompt + "\"}")
                .post("/generated-images").then().statusCode(201).extract().path("id");
        generator.takeRequest(UUID.fromString(id), WAIT);
        return UUID.fromString(id);
    }
}
