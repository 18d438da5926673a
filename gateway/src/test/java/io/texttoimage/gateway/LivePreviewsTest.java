package io.texttoimage.gateway;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.texttoimage.contracts.GenerationRequested;
import io.texttoimage.contracts.JobEventType;
import io.texttoimage.contracts.JobPreview;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.URL;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static io.texttoimage.gateway.FakeGenerator.event;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Live previews through the gateway, the test playing the generator on the real broker: the request flag reaches the
 * generator, previews are streamed as SSE {@code preview} events without an id (Last-Event-ID stays with the job's
 * events), only to the streams that want them, a late stream gets the newest one, and neither the persist queue nor
 * the database ever sees one. {@code /capabilities} says whether a live worker sends them.
 */
@QuarkusTest
@WithTestResource(GatewayTestResources.class)
class LivePreviewsTest extends WithFakeGenerator {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final Duration INTERVAL = Duration.ofMillis(500);
    /** A real PNG would do as well; the gateway passes the bytes through. */
    private static final byte[] IMAGE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 1, 2, 3};

    @TestHTTPResource("/generated-images")
    URL base;

    private SseClient sse(UUID id, String query) throws Exception {
        return new SseClient(URI.create(base + "/" + id + "/events" + (query == null ? "" : query)), null);
    }

    private static JsonPath record(UUID id) {
        return given().get("/generated-images/" + id).then().statusCode(200).extract().jsonPath();
    }

    private static JobPreview preview(UUID jobId, int step) {
        return new JobPreview(JobPreview.SCHEMA_VERSION, jobId, step, 20, 64, 64, JobPreview.PNG, IMAGE, 1,
                Instant.now());
    }

    @Test
    void theRequestFlagReachesTheGeneratorAndTheAnswer() throws Exception {
        JsonPath asked = given().contentType(ContentType.JSON).body("{\"prompt\":\"a fox\",\"previews\":true}")
                .post("/generated-images").then().statusCode(201).extract().jsonPath();
        assertTrue(asked.getBoolean("previews"));
        GenerationRequested message = generator.takeRequest(UUID.fromString(asked.getString("id")), WAIT);
        assertTrue(message.previews());

        JsonPath plain = given().contentType(ContentType.JSON).body("{\"prompt\":\"a fox\"}")
                .post("/generated-images").then().statusCode(201).extract().jsonPath();
        assertFalse(plain.getBoolean("previews"), "previews are off unless asked for");
        assertFalse(generator.takeRequest(UUID.fromString(plain.getString("id")), WAIT).previews());
        // Stored with the job: the record read back says what was asked, and so does the list.
        given().get("/generated-images/" + asked.getString("id")).then().statusCode(200).body("previews", equalTo(true));
        given().get("/generated-images/" + plain.getString("id")).then().statusCode(200).body("previews", equalTo(false));

        given().contentType(ContentType.JSON).body("{\"prompt\":\"a fox\",\"previews\":\"yes\"}")
                .post("/generated-images").then().statusCode(400);
        given().get("/generated-images/" + asked.getString("id") + "/events?previews=maybe").then().statusCode(400)
                .body(containsString("previews must be true or false"));
    }

    @Test
    void previewsAreStreamedWithoutAnIdOnlyToStreamsThatWantThemAndNeverStored() throws Exception {
        String id = given().contentType(ContentType.JSON).body("{\"prompt\":\"a lighthouse\",\"num_steps\":20,"
                + "\"previews\":true}").post("/generated-images").then().statusCode(201).extract().path("id");
        UUID jobId = UUID.fromString(id);
        generator.takeRequest(jobId, WAIT);
        String persistProbe = generator.declarePersistProbe();
        try (SseClient withPreviews = sse(jobId, null); SseClient without = sse(jobId, "?previews=false")) {
            assertEquals("queued", withPreviews.nextNonHeartbeat(WAIT).name());
            assertEquals("queued", without.nextNonHeartbeat(WAIT).name());
            generator.publish(FakeGenerator.running(jobId, 1, 20));
            SseClient.Event running = withPreviews.nextNonHeartbeat(WAIT);
            assertEquals("running", running.name());
            assertEquals("1", running.id());
            assertEquals("running", without.nextNonHeartbeat(WAIT).name());
            Eventually.await(WAIT, "the record is running", () -> "running".equals(record(jobId).getString("status")));
            String updatedAt = record(jobId).getString("updated_at");

            generator.publish(preview(jobId, 5));
            SseClient.Event preview = withPreviews.nextNonHeartbeat(WAIT);
            assertEquals("preview", preview.name());
            assertNull(preview.id(), "a preview has no id: the client's Last-Event-ID stays at 1");
            assertEquals(id, preview.data().path("id").asText());
            assertEquals(5, preview.data().path("step").asInt());
            assertEquals(20, preview.data().path("total_steps").asInt());
            assertEquals(64, preview.data().path("width").asInt());
            assertEquals(64, preview.data().path("height").asInt());
            String image = preview.data().path("image").asText();
            assertTrue(image.startsWith("data:image/png;base64,"), image);
            assertEquals(List.of(IMAGE.length), List.of(Base64.getDecoder()
                    .decode(image.substring("data:image/png;base64,".length())).length));

            generator.publish(event(jobId, JobEventType.PROGRESS, 2, 6, 20));
            SseClient.Event progress = withPreviews.nextNonHeartbeat(WAIT);
            assertEquals("progress", progress.name());
            assertEquals("2", progress.id(), "the job's events number on from 1 as if no preview had been sent");
            SseClient.Event firstForWithout = without.nextNonHeartbeat(WAIT);
            assertEquals("progress", firstForWithout.name(), "?previews=false: the preview was left out");

            // A stream that opens now gets its state, then the newest preview this replica has.
            generator.publish(preview(jobId, 10));
            assertEquals(10, withPreviews.nextNonHeartbeat(WAIT).data().path("step").asInt());
            try (SseClient late = sse(jobId, null)) {
                SseClient.Event state = late.nextNonHeartbeat(WAIT);
                assertNotNull(state.id(), "the state comes first: " + state);
                SseClient.Event next = late.nextNonHeartbeat(WAIT);
                if (!"preview".equals(next.name())) {
                    // the row lagged behind the PROGRESS event: that one follows the stored state, then the preview
                    assertEquals("progress", next.name());
                    next = late.nextNonHeartbeat(WAIT);
                }
                assertEquals("preview", next.name());
                assertEquals(10, next.data().path("step").asInt());
            }

            // The database writer's binding never matches a preview; the row did not move because of one.
            Thread.sleep(200);
            List<String> persisted = new java.util.ArrayList<>();
            for (var message = generator.take(persistProbe); message != null; message = generator.take(persistProbe)) {
                persisted.add(message.getEnvelope().getRoutingKey());
            }
            assertEquals(List.of("job.running", "job.progress"), persisted,
                    "the persist binding gets the job's events, none of its two previews");
            Eventually.await(WAIT, "step 6 is stored", () -> record(jobId).getInt("current_step") == 6);
            assertFalse(updatedAt.equals(record(jobId).getString("updated_at")), "the PROGRESS event was stored");

            generator.publish(FakeGenerator.succeeded(jobId, 3, 20, List.of("images/" + id + "/0.png")));
            assertEquals("succeeded", withPreviews.untilEnd(WAIT).getLast().name());
            assertEquals("succeeded", without.untilEnd(WAIT).getLast().name());
        }
        // A stream of the finished job gets no stale preview: the image itself is there.
        try (SseClient after = sse(jobId, null)) {
            List<SseClient.Event> events = after.untilEnd(WAIT);
            assertEquals(List.of("succeeded"), events.stream().map(SseClient.Event::name).toList());
        }
    }

    @Test
    void capabilitiesSayWhetherALiveWorkerSendsPreviews() throws Exception {
        String workerId = "previews-" + UUID.randomUUID().toString().substring(0, 8);
        try (FakeGenerator.Heart heart = generator.startBeating(workerId, INTERVAL, () -> null, true)) {
            Eventually.await(WAIT, "previews are available", () -> given().get("/capabilities").then()
                    .statusCode(200).extract().jsonPath().getBoolean("previews_available"));
        }
        // Gone with the worker (three missed intervals), so that other tests see a server without previews again.
        Eventually.await(WAIT, "previews are no longer available", () -> !given().get("/capabilities").then()
                .statusCode(200).extract().jsonPath().getBoolean("previews_available"));
    }
}
