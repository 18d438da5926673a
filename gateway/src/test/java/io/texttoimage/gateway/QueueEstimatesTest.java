package io.texttoimage.gateway;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.texttoimage.contracts.JobEvent;
import io.texttoimage.contracts.JobEventType;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.URL;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Queue position and estimates on the record and the {@code queue} SSE event, against the real database and broker;
 * the test plays the generators (their heartbeats with measured step times, their RUNNING and PROGRESS events).
 * Other tests leave jobs queued: each test first ends them as a generator would (CANCELLED) and waits until no
 * other test's worker is alive, so the line and the workers are the test's own.
 */
@QuarkusTest
@WithTestResource(GatewayTestResources.class)
class QueueEstimatesTest extends WithFakeGenerator {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final Duration INTERVAL = Duration.ofMillis(500);
    /** A size no other test's worker announces a step time for. */
    private static final String SIZE = "64x128";

    @TestHTTPResource("/generated-images")
    URL base;

    @BeforeEach
    void ownTheQueueAndTheWorkers() throws Exception {
        Eventually.await(WAIT, "no other test's worker is alive", () -> given().get("/workers").then()
                .statusCode(200).extract().jsonPath().getList("workers").isEmpty());
        for (int page = 0; ; page++) {
            JsonPath listed = given().get("/generated-images?size=100&page=" + page).then().statusCode(200)
                    .extract().jsonPath();
            List<Map<String, Object>> items = listed.getList("items");
            for (Map<String, Object> item : items) {
                if ("queued".equals(item.get("status"))) {
                    generator.publish(FakeGenerator.event(UUID.fromString((String) item.get("id")),
                            JobEventType.CANCELLED, 1, 0, (Integer) item.get("total_steps")));
                }
            }
            if (items.size() < 100) {
                break;
            }
        }
        Eventually.await(WAIT, "no job of another test is queued", () -> given()
                .get("/generated-images?size=100").then().extract().jsonPath().getList("items.status")
                .stream().noneMatch("queued"::equals));
    }

    @Test
    void positionsMoveUpAsJobsAheadStartAndEstimatesStayNullWithoutStepTimes() throws Exception {
        JsonPath first = submit();
        JsonPath second = submit();
        JsonPath third = submit();
        assertEquals(1, first.getInt("queue.position"), first.prettify());
        assertEquals(0, first.getInt("queue.jobs_ahead"));
        assertEquals(0, first.getInt("queue.live_workers"));
        assertEquals(3, third.getInt("queue.position"), "the POST answer says it too: " + third.prettify());
        assertEquals(2, third.getInt("queue.jobs_ahead"));
        JsonPath secondNow = record(second.getString("id"));
        assertEquals(2, secondNow.getInt("queue.position"));
        Map<String, Object> estimate = secondNow.getMap("estimate");
        assertNotNull(estimate, "an estimate object, with nothing known in it: " + secondNow.prettify());
        assertTrue(estimate.containsKey("start_at") && estimate.get("start_at") == null, estimate.toString());
        assertTrue(estimate.containsKey("finish_at") && estimate.get("finish_at") == null, estimate.toString());
        assertTrue(estimate.containsKey("remaining_seconds") && estimate.get("remaining_seconds") == null,
                estimate.toString());
        JsonPath listed = given().get("/generated-images?size=10").then().statusCode(200).extract().jsonPath();
        assertEquals(3, listed.getInt("items.find { it.id == '" + third.getString("id") + "' }.queue.position"));

        UUID thirdId = UUID.fromString(third.getString("id"));
        try (SseClient stream = new SseClient(URI.create(base + "/" + thirdId + "/events"), null)) {
            assertEquals("queued", stream.nextNonHeartbeat(WAIT).name());
            SseClient.Event queue = stream.nextNamed("queue", WAIT);
            assertNotNull(queue, "a queued job's stream says where it stands right after its state");
            assertNull(queue.id(), "a notice does not move Last-Event-ID");
            assertEquals(thirdId.toString(), queue.data().path("id").asText());
            assertEquals("queued", queue.data().path("status").asText());
            assertEquals(3, queue.data().path("queue").path("position").asInt(), queue.data().toString());
            System.out.println("queue event: " + queue.data()); // the documented example
            assertTrue(queue.data().path("estimate").path("finish_at").isNull(), queue.data().toString());

            // The first job starts: everyone behind it moves up, on the record and on the stream.
            UUID firstId = UUID.fromString(first.getString("id"));
            generator.publish(new JobEvent(JobEvent.SCHEMA_VERSION, firstId, JobEventType.RUNNING, 1, 0, 10, "w-a",
                    null, null, 64, 128, "euler", Instant.now()));
            SseClient.Event moved = stream.nextNamed("queue", WAIT);
            assertNotNull(moved, "the stream hears that the job moved up");
            assertEquals(2, moved.data().path("queue").path("position").asInt(), moved.data().toString());
            assertEquals(1, moved.data().path("queue").path("jobs_ahead").asInt());
            assertEquals(1, record(second.getString("id")).getInt("queue.position"));
            JsonPath running = record(firstId.toString());
            assertEquals("running", running.getString("status"));
            assertNull(running.get("queue"), "a running job has no place in line");
            assertTrue(running.getMap("estimate").get("remaining_seconds") == null,
                    "no step done and no step time known: " + running.prettify());
        }
    }

    @Test
    void estimatesComeFromTheWorkersStepTimesAndARunningJobsOwnRate() throws Exception {
        try (FakeGenerator.Heart heart = generator.startBeating("eta-worker", INTERVAL, () -> null,
                Map.of(SIZE, 0.5))) {
            Eventually.await(WAIT, "the worker is live", () -> given().get("/workers").then().extract()
                    .jsonPath().getList("workers").size() == 1);
            Thread.sleep(1100); // the line as read before the worker was heard is too old to be used by now
            // One idle worker, 10 steps at 0.5 s: 5 s per job, one after the other.
            Instant before = Instant.now();
            JsonPath first = submit();
            JsonPath second = submit();
            JsonPath third = record(submit().getString("id"));
            System.out.println("record: " + third.prettify()); // the documented example
            assertEquals(1, third.getInt("queue.live_workers"));
            assertEquals(3, third.getInt("queue.position"));
            assertSecondsAfter(before, 10, third.getString("estimate.start_at"), "third starts after two jobs");
            assertSecondsAfter(before, 15, third.getString("estimate.finish_at"), "and takes 5 s");
            assertEquals(15, third.getDouble("estimate.remaining_seconds"), 1.5, third.prettify());
            assertSecondsAfter(before, 0, first.getString("estimate.start_at"), "the worker is idle");
            assertSecondsAfter(before, 5, first.getString("estimate.finish_at"), "the first takes 5 s");

            // The first job runs slower than measured: 2 s per step so far (step 2 after 4 s). Its own rate counts.
            UUID firstId = UUID.fromString(first.getString("id"));
            Instant started = Instant.now().minusSeconds(4);
            try (SseClient stream = new SseClient(URI.create(base + "/" + firstId + "/events"), null)) {
                assertEquals("queued", stream.nextNonHeartbeat(WAIT).name());
                generator.publish(new JobEvent(JobEvent.SCHEMA_VERSION, firstId, JobEventType.RUNNING, 1, 0, 10,
                        "eta-worker", null, null, 64, 128, "euler", started));
                SseClient.Event running = stream.nextNonHeartbeat(WAIT);
                assertEquals("running", running.name());
                assertEquals(5.0, running.data().path("estimate").path("remaining_seconds").asDouble(), 0.01,
                        "before its first step: the worker's measured 0.5 s per step: " + running.data());
                Instant stepAt = started.plusSeconds(4);
                generator.publish(new JobEvent(JobEvent.SCHEMA_VERSION, firstId, JobEventType.PROGRESS, 2, 2, 10,
                        "eta-worker", null, null, null, null, null, stepAt));
                SseClient.Event progress = stream.nextNonHeartbeat(WAIT);
                assertEquals("progress", progress.name());
                System.out.println("progress event: " + progress.data());
                assertEquals(16.0, progress.data().path("estimate").path("remaining_seconds").asDouble(), 0.01,
                        "8 steps left at its own 2 s per step: " + progress.data());
                assertEquals(stepAt.plusSeconds(16), Instant.parse(
                        progress.data().path("estimate").path("finish_at").asText()));
            }
            Eventually.await(WAIT, "step 2 is stored", () -> record(firstId.toString()).getInt("current_step") == 2);
            Instant now = Instant.now();
            JsonPath runningRecord = record(firstId.toString());
            // Its rate so far, as of the read: the elapsed time over the 2 steps done, for the 8 left.
            double left = 8 * (Duration.between(started, now).toMillis() / 1000.0) / 2;
            assertEquals(left, runningRecord.getDouble("estimate.remaining_seconds"), 1.0, runningRecord.prettify());
            assertEquals(started.truncatedTo(java.time.temporal.ChronoUnit.MILLIS),
                    Instant.parse(runningRecord.getString("estimate.start_at"))
                            .truncatedTo(java.time.temporal.ChronoUnit.MILLIS));
            // The second job waits for the first, then takes its 5 s.
            JsonPath waiting = awaitRecord(second.getString("id"), r -> r.getInt("queue.position") == 1);
            Instant read = Instant.now();
            double firstLeft = 8 * (Duration.between(started, read).toMillis() / 1000.0) / 2;
            assertSecondsAfter(read, firstLeft, waiting.getString("estimate.start_at"), "starts when the first ends");
            assertSecondsAfter(read, firstLeft + 5, waiting.getString("estimate.finish_at"), "and takes 5 s");
        }
    }

    private static void assertSecondsAfter(Instant from, double seconds, String time, String what) {
        assertNotNull(time, what + ": no time");
        double actual = Duration.between(from, Instant.parse(time)).toMillis() / 1000.0;
        assertEquals(seconds, actual, 2.0, what + ": " + time);
    }

    private static JsonPath submit() {
        return given().contentType(ContentType.JSON)
                .body("{\"prompt\":\"queue\",\"num_steps\":10,\"width\":64,\"height\":128}")
                .post("/generated-images").then().statusCode(201).extract().jsonPath();
    }

    private static JsonPath record(String id) {
        return given().get("/generated-images/" + id).then().statusCode(200).extract().jsonPath();
    }

    private static JsonPath awaitRecord(String id, java.util.function.Predicate<JsonPath> condition)
            throws InterruptedException {
        JsonPath[] last = new JsonPath[1];
        Eventually.await(WAIT, "job " + id + " as expected", () -> condition.test(last[0] = record(id)));
        return last[0];
    }
}
