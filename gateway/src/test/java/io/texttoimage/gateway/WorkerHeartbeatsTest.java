package io.texttoimage.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.texttoimage.contracts.JobEvent;
import io.texttoimage.contracts.JobEventType;
import io.texttoimage.contracts.SchedulerNames;
import io.texttoimage.contracts.WorkerHeartbeat;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.URL;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Generators' heartbeats, played by the test on the real broker: the live workers ({@code GET /workers}), what the
 * server offers ({@code GET /capabilities}), and a running job whose worker stops beating (record and stream say so
 * until another worker takes the job). Each heartbeat carries its interval: 0.5 s here, so a worker is lost 1.5 s
 * after its last one.
 */
@QuarkusTest
@WithTestResource(GatewayTestResources.class)
class WorkerHeartbeatsTest extends WithFakeGenerator {
    private static final Duration INTERVAL = Duration.ofMillis(500);
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final ObjectMapper JSON = new ObjectMapper();

    @TestHTTPResource("/generated-images")
    URL base;

    private static String newWorkerId() {
        return "hb-test-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static JsonNode listedWorker(String workerId) {
        JsonPath workers = given().get("/workers").then().statusCode(200).extract().jsonPath();
        List<Map<String, Object>> all = workers.getList("workers");
        return all.stream().filter(worker -> workerId.equals(worker.get("worker_id"))).findFirst()
                .map(worker -> (JsonNode) JSON.valueToTree(worker))
                .orElse(null);
    }

    @Test
    void aBeatingWorkerIsListedAndVanishesAfterThreeMissedIntervals() throws Exception {
        String workerId = newWorkerId();
        UUID jobId = UUID.randomUUID();
        Instant lastBeat;
        try (FakeGenerator.Heart heart = generator.startBeating(workerId, INTERVAL,
                () -> new WorkerHeartbeat.CurrentJob(jobId, 3, 21))) {
            Eventually.await(WAIT, "the worker is listed", () -> listedWorker(workerId) != null);
            JsonNode worker = listedWorker(workerId);
            assertEquals("onnx-community/stable-diffusion-v1-5-ONNX", worker.path("model").path("name").asText());
            assertEquals("main", worker.path("model").path("revision").asText());
            assertEquals("CPU", worker.path("device").asText());
            assertEquals(jobId.toString(), worker.path("current_job").path("id").asText());
            assertEquals(3, worker.path("current_job").path("step").asInt());
            assertEquals(21, worker.path("current_job").path("total_steps").asInt());
            assertEquals(0.8, worker.path("step_seconds").path("512x512").asDouble(), 1e-6);
            assertEquals(0.5, worker.path("heartbeat_interval").asDouble(), 1e-6);
            assertNotNull(Instant.parse(worker.path("last_seen").asText()));
            assertNotNull(Instant.parse(worker.path("started_at").asText()));
            heart.close();
            lastBeat = heart.lastBeatAt();
        }
        Eventually.await(WAIT, "the silent worker is no longer listed", () -> listedWorker(workerId) == null);
        Duration silentFor = Duration.between(lastBeat, Instant.now());
        assertTrue(silentFor.compareTo(INTERVAL.multipliedBy(3)) >= 0,
                "listed until it missed three intervals, gone after " + silentFor);
    }

    @Test
    void capabilitiesOfferTheServedModelTheSchedulersAndTheLimits() throws Exception {
        String workerId = newWorkerId();
        try (FakeGenerator.Heart heart = generator.startBeating(workerId, INTERVAL, () -> null)) {
            Eventually.await(WAIT, "the worker is listed", () -> listedWorker(workerId) != null);
            JsonPath capabilities = given().get("/capabilities").then().statusCode(200).extract().jsonPath();
            assertTrue(capabilities.getList("models.name").contains("onnx-community/stable-diffusion-v1-5-ONNX"),
                    capabilities.prettify());
            assertTrue(capabilities.getBoolean("workers_available"));
            assertTrue(capabilities.getInt("live_workers") >= 1);
            assertEquals(512, capabilities.getInt("default_size.width"));
            assertEquals(512, capabilities.getInt("default_size.height"));
            assertEquals(64, capabilities.getInt("sizes.min"));
            assertEquals(1024, capabilities.getInt("sizes.max"));
            assertEquals(64, capabilities.getInt("sizes.multiple_of"));
            assertEquals(SchedulerNames.NAMES, capabilities.getList("schedulers.name"));
            List<String> displayNames = new ArrayList<>();
            SchedulerNames.NAMES.forEach(name -> displayNames.add(SchedulerNames.a1111Name(name).orElse(null)));
            assertEquals(displayNames, capabilities.getList("schedulers.display_name"));
            assertEquals("DPM++ 2M Karras", capabilities.getString(
                    "schedulers.find { it.name == 'dpmpp-2m-karras' }.display_name"));
            assertEquals(1, capabilities.getInt("limits.num_steps.min"));
            assertEquals(150, capabilities.getInt("limits.num_steps.max"));
            assertEquals(0.0, capabilities.getDouble("limits.guidance_scale.min"));
            assertEquals(30.0, capabilities.getDouble("limits.guidance_scale.max"));
            assertEquals(1, capabilities.getInt("limits.num_images.min"));
            assertEquals(4, capabilities.getInt("limits.num_images.max"));
            assertEquals(77, capabilities.getInt("limits.prompt_tokens"));
            assertEquals(2000, capabilities.getInt("limits.prompt_characters"));
            assertEquals(86400, capabilities.getLong("limits.queue_timeout_max"));
            assertEquals(21600, capabilities.getLong("limits.run_timeout_max"));
            assertFalse(capabilities.getBoolean("previews_available"));

            // What the capabilities announce is what a submission accepts: the largest of everything.
            given().contentType(ContentType.JSON).body("{\"prompt\":\"at the limits\",\"num_steps\":150,"
                    + "\"guidance_scale\":30,\"width\":1024,\"height\":64,\"num_images\":4,\"scheduler\":\"DPM++ 2M"
                    + " Karras\",\"queue_timeout\":86400,\"run_timeout\":21600}").post("/generated-images")
                    .then().statusCode(201);
            given().contentType(ContentType.JSON).body("{\"prompt\":\"past the limit\",\"num_steps\":151}")
                    .post("/generated-images").then().statusCode(400);
        }
        // Other tests' workers go silent too; once none is left, the answer says so instead of listing nothing.
        Eventually.await(WAIT, "no worker is alive", () -> given().get("/workers").then().statusCode(200)
                .extract().jsonPath().getList("workers").isEmpty());
        JsonPath none = given().get("/capabilities").then().statusCode(200).extract().jsonPath();
        assertEquals(List.of(), none.getList("models"));
        assertFalse(none.getBoolean("workers_available"));
        assertEquals(0, none.getInt("live_workers"));
        assertEquals(SchedulerNames.NAMES, none.getList("schedulers.name"), "the form can still be built");
    }

    @Test
    void aRunningJobWhoseWorkerStopsBeatingSaysSoUntilAnotherWorkerTakesIt() throws Exception {
        String id = given().contentType(ContentType.JSON).body("{\"prompt\":\"lost worker\",\"num_steps\":4}")
                .post("/generated-images").then().statusCode(201).extract().path("id");
        UUID jobId = UUID.fromString(id);
        generator.takeRequest(jobId, WAIT);
        String first = newWorkerId();
        String second = newWorkerId();
        AtomicReference<WorkerHeartbeat.CurrentJob> running = new AtomicReference<>(
                new WorkerHeartbeat.CurrentJob(jobId, 1, 5));
        try (SseClient stream = new SseClient(URI.create(base + "/" + id + "/events"), null)) {
            assertEquals("queued", stream.nextNonHeartbeat(WAIT).name());
            try (FakeGenerator.Heart heart = generator.startBeating(first, INTERVAL, running::get)) {
                Eventually.await(WAIT, "the first worker is listed", () -> listedWorker(first) != null);
                generator.publish(FakeGenerator.running(jobId, 1, 5, first, 1));
                assertEquals("running", stream.nextNonHeartbeat(WAIT).name());
                generator.publish(new JobEvent(JobEvent.SCHEMA_VERSION, jobId, JobEventType.PROGRESS, 2, 1, 5, first,
                        null, null, null, null, null, Instant.now(), null, 1));
                assertEquals("progress", stream.nextNonHeartbeat(WAIT).name());
                Eventually.await(WAIT, "step 1 is stored", () -> record(id).getInt("current_step") == 1);
                assertNull(record(id).get("worker_lost_at"), "its worker beats");
                assertNull(record(id).get("note"));
            } // the worker dies: no more heartbeats, no more events

            SseClient.Event lost = stream.nextNonHeartbeat(WAIT);
            assertEquals("worker-lost", lost.name());
            assertNull(lost.id(), "a notice does not move Last-Event-ID");
            assertEquals(id, lost.data().path("id").asText());
            assertEquals(first, lost.data().path("worker_id").asText());
            assertTrue(lost.data().path("note").asText().endsWith("; waiting for another worker"),
                    lost.data().toString());
            JsonPath record = record(id);
            assertEquals("running", record.getString("status"));
            assertEquals(lost.data().path("worker_lost_at").asText(), record.getString("worker_lost_at"));
            assertEquals(lost.data().path("note").asText(), record.getString("note"));
            assertTrue(record.getString("note").startsWith("worker " + first + " lost at "), record.getString("note"));
            JsonPath listed = given().get("/generated-images?size=100").then().statusCode(200).extract().jsonPath();
            assertEquals(record.getString("note"), listed.getString("items.find { it.id == '" + id + "' }.note"));

            // The broker hands the job to another worker: its new attempt clears the loss.
            try (FakeGenerator.Heart heart = generator.startBeating(second, INTERVAL, running::get)) {
                generator.publish(FakeGenerator.running(jobId, 1_000_000, 5, second, 2));
                assertEquals("running", stream.nextNonHeartbeat(WAIT).name());
                Eventually.await(WAIT, "the record names the new attempt",
                        () -> record(id).getInt("attempts") == 2);
                JsonPath taken = record(id);
                assertNull(taken.get("worker_lost_at"), "its new worker beats");
                assertNull(taken.get("note"));
                generator.publish(FakeGenerator.succeeded(jobId, 1_000_001, 5, List.of("images/" + id + "/0.png")));
                assertEquals("succeeded", stream.nextNonHeartbeat(WAIT).name());
            }
        }
    }

    private static JsonPath record(String id) {
        return given().get("/generated-images/" + id).then().statusCode(200).extract().jsonPath();
    }
}
