package io.texttoimage.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.texttoimage.contracts.CancelRequested;
import io.texttoimage.contracts.JobEvent;
import io.texttoimage.contracts.JobEventType;
import io.texttoimage.contracts.PromptTruncation;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.restassured.RestAssured.given;
import static io.texttoimage.gateway.FakeGenerator.event;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The asynchronous half: the test plays the generator on the real broker (takes the job from the work
 * queue, publishes JobEvents to the real exchange, listens for cancels) and checks the database record,
 * the SSE stream and cancellation.
 */
@QuarkusTest
@WithTestResource(GatewayTestResources.class)
class JobEventFlowTest extends WithFakeGenerator {
    /** Health and metrics are on the management interface, not on the API's port. */
    @TestHTTPResource(value = "/", management = true)
    java.net.URL management;

    private static final Duration WAIT = Duration.ofSeconds(10);

    @TestHTTPResource("/generated-images")
    URL base;

    private UUID submitAndTake(String prompt, int steps) throws Exception {
        String id = given().contentType(ContentType.JSON)
                .body("{\"prompt\":\"" + prompt + "\",\"num_steps\":" + steps + "}")
                .post("/generated-images").then().statusCode(201).extract().path("id");
        UUID jobId = UUID.fromString(id);
        generator.takeRequest(jobId, WAIT);
        return jobId;
    }

    private static JsonPath record(UUID id) {
        return given().get("/generated-images/" + id).then().statusCode(200).extract().jsonPath();
    }

    private SseClient sse(UUID id, String lastEventId) throws Exception {
        return new SseClient(URI.create(base + "/" + id + "/events"), lastEventId);
    }

    @Test
    void eventsUpdateTheStoredRecord() throws Exception {
        UUID id = submitAndTake("db updates", 4);
        generator.publish(FakeGenerator.running(id, 1, 4));
        Eventually.await(WAIT, "the record is running", () -> "running".equals(record(id).getString("status")));
        JsonPath running = record(id);
        assertEquals(512, running.getInt("width"));
        assertEquals("pndm", running.getString("scheduler"));
        assertNotNull(running.getString("started_at"));

        for (int step = 1; step <= 3; step++) {
            generator.publish(event(id, JobEventType.PROGRESS, 1 + step, step, 4));
        }
        Eventually.await(WAIT, "step 3 is stored", () -> record(id).getInt("current_step") == 3);
        assertEquals(75, record(id).getInt("progress"));

        // A late duplicate of an older step must not move the record backwards.
        generator.publish(event(id, JobEventType.PROGRESS, 2, 1, 4));
        generator.publish(FakeGenerator.failed(id, 5, "out of GPU memory"));
        Eventually.await(WAIT, "the record failed", () -> "failed".equals(record(id).getString("status")));
        JsonPath failed = record(id);
        assertEquals("out of GPU memory", failed.getString("error"));
        assertEquals(3, failed.getInt("current_step"));
        assertNotNull(failed.getString("finished_at"));

        // Terminal is final: nothing after it changes the record.
        generator.publish(event(id, JobEventType.PROGRESS, 6, 4, 4));
        generator.publish(FakeGenerator.succeeded(id, 7, 4, List.of("images/" + id + "/0.png")));
        awaitEarlierEventsProcessed();
        JsonPath after = record(id);
        assertEquals("failed", after.getString("status"));
        assertEquals(3, after.getInt("current_step"));
        assertEquals("out of GPU memory", after.getString("error"));
        assertEquals(List.of(), after.getList("image_keys"));
    }

    @Test
    void theRecordAndTheStreamShowWhatTheTokenLimitCutOff() throws Exception {
        UUID id = submitAndTake("a long prompt", 3);
        assertNull(record(id).get("prompt_truncation"), "nothing is known before RUNNING");
        PromptTruncation truncation = new PromptTruncation(null,
                new PromptTruncation.TruncatedText(81, 77, "low quality, jpeg artifacts"));
        try (SseClient stream = sse(id, null)) {
            assertEquals("queued", stream.nextNonHeartbeat(WAIT).name());
            generator.publish(FakeGenerator.running(id, 1, 3, truncation));
            SseClient.Event running = stream.nextNonHeartbeat(WAIT);
            assertEquals("running", running.name());
            // Only the documented keys (docs/gateway-api.md): nothing the stream keeps for itself leaks into them.
            List<String> keys = new java.util.ArrayList<>();
            running.data().fieldNames().forEachRemaining(keys::add);
            assertEquals(List.of("id", "status", "step", "total_steps", "progress", "image_keys", "error", "sequence",
                    "prompt_truncation", "estimate"), keys);
            JsonNode cut = running.data().path("prompt_truncation");
            assertTrue(cut.path("prompt").isNull(), "the prompt fitted: " + cut);
            assertEquals(81, cut.path("negative_prompt").path("tokens").asInt());
            assertEquals(77, cut.path("negative_prompt").path("max_tokens").asInt());
            assertEquals("low quality, jpeg artifacts", cut.path("negative_prompt").path("dropped_text").asText());

            generator.publish(event(id, JobEventType.PROGRESS, 2, 1, 3));
            assertTrue(stream.nextNonHeartbeat(WAIT).data().path("prompt_truncation").isNull(), "only on running");
        }
        Eventually.await(WAIT, "the record is running", () -> "running".equals(record(id).getString("status")));
        JsonPath stored = record(id);
        assertNull(stored.get("prompt_truncation.prompt"));
        assertEquals(81, stored.getInt("prompt_truncation.negative_prompt.tokens"));
        assertEquals(77, stored.getInt("prompt_truncation.negative_prompt.max_tokens"));
        assertEquals("low quality, jpeg artifacts", stored.getString("prompt_truncation.negative_prompt.dropped_text"));

        // A client joining later sees it on the stored state it starts with; the list and a cancel show it too.
        try (SseClient late = sse(id, null)) {
            assertEquals(81, late.nextNonHeartbeat(WAIT).data().path("prompt_truncation").path("negative_prompt")
                    .path("tokens").asInt());
        }
        JsonPath listed = given().get("/generated-images?size=100").then().statusCode(200).extract().jsonPath();
        assertEquals(81, listed.getInt("items.find { it.id == '" + id + "' }.prompt_truncation.negative_prompt.tokens"));
        given().delete("/generated-images/" + id).then().statusCode(202)
                .body("prompt_truncation.negative_prompt.tokens", equalTo(81));
        generator.publish(event(id, JobEventType.SUCCEEDED, 3, 3, 3));
        Eventually.await(WAIT, "the record succeeded", () -> "succeeded".equals(record(id).getString("status")));
        assertEquals(81, record(id).getInt("prompt_truncation.negative_prompt.tokens"), "kept after the end");
    }

    @Test
    void aRunningEventWithoutTruncationLeavesTheRecordsFieldNull() throws Exception {
        UUID id = submitAndTake("short", 2);
        generator.publish(FakeGenerator.running(id, 1, 2));
        Eventually.await(WAIT, "the record is running", () -> "running".equals(record(id).getString("status")));
        String body = given().get("/generated-images/" + id).then().statusCode(200).extract().asString();
        assertTrue(body.contains("\"prompt_truncation\":null"), body);
    }

    @Test
    void progressWritesAreCoalesced() throws Exception {
        UUID id = submitAndTake("coalescing", 150);
        generator.publish(FakeGenerator.running(id, 1, 150));
        Eventually.await(WAIT, "the record is running", () -> "running".equals(record(id).getString("status")));
        double writesBefore = metric("t2i_gateway_progress_rows_written_total");
        for (int step = 1; step <= 150; step++) {
            generator.publish(event(id, JobEventType.PROGRESS, 1 + step, step, 150));
        }
        Eventually.await(WAIT, "step 150 is stored", () -> record(id).getInt("current_step") == 150);
        double writes = metric("t2i_gateway_progress_rows_written_total") - writesBefore;
        assertTrue(writes >= 1 && writes < 150, "150 progress events gave " + writes + " row writes");
    }

    private double sseSubscribers() {
        String metrics = given().port(management.getPort()).get("/q/metrics").then().statusCode(200).extract().asString();
        return metrics.lines().filter(line -> line.startsWith("t2i_gateway_sse_subscribers"))
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
                .findFirst().orElseThrow(() -> new AssertionError("no t2i_gateway_sse_subscribers gauge"));
    }

    @Test
    void aClientThatGoesAwayIsForgotten() throws Exception {
        UUID id = submitAndTake("client leaves", 5);
        double before = sseSubscribers();
        try (SseClient stream = sse(id, null)) {
            assertNotNull(stream.nextNonHeartbeat(WAIT), "no current-state event");
            Eventually.await(WAIT, "the stream is counted", () -> sseSubscribers() >= before + 1);
        }
        // The job goes on; the closed stream must not stay registered (nor be written to) until it ends.
        Eventually.await(WAIT, "the stream is forgotten", () -> sseSubscribers() <= before);
    }

    @Test
    void sseShowsTheCurrentStateThenEveryStepThenSucceededAndCloses() throws Exception {
        UUID id = submitAndTake("sse", 3);
        try (SseClient stream = sse(id, null)) {
            assertEquals(200, stream.status);
            assertTrue(stream.contentType.startsWith("text/event-stream"), stream.contentType);
            SseClient.Event first = stream.nextNonHeartbeat(WAIT);
            assertNotNull(first, "no current-state event");
            assertEquals("queued", first.name());
            assertEquals("0", first.id());
            assertEquals(id.toString(), first.data().get("id").asText());
            assertEquals("queued", first.data().get("status").asText());

            generator.publish(FakeGenerator.running(id, 1, 3));
            generator.publish(event(id, JobEventType.PROGRESS, 2, 1, 3));
            generator.publish(event(id, JobEventType.PROGRESS, 3, 2, 3));
            generator.publish(event(id, JobEventType.PROGRESS, 2, 1, 3)); // duplicate: dropped
            generator.publish(event(id, JobEventType.PROGRESS, 4, 3, 3));
            generator.publish(FakeGenerator.succeeded(id, 5, 3, List.of("images/" + id + "/0.png")));

            List<SseClient.Event> events = stream.untilEnd(WAIT);
            assertEquals(List.of("running", "progress", "progress", "progress", "succeeded"),
                    events.stream().map(SseClient.Event::name).toList());
            assertEquals(List.of("1", "2", "3", "4", "5"), events.stream().map(SseClient.Event::id).toList());
            int previousStep = -1;
            for (SseClient.Event event : events.subList(0, 4)) {
                int step = event.data().get("step").asInt();
                assertTrue(step > previousStep, "steps must strictly increase: " + events);
                previousStep = step;
            }
            SseClient.Event last = events.get(4);
            assertEquals("succeeded", last.data().get("status").asText());
            assertEquals(100, last.data().get("progress").asInt());
            assertEquals("images/" + id + "/0.png", last.data().get("image_keys").get(0).asText());
            assertEquals(5, last.data().get("sequence").asLong());
        }
        Eventually.await(WAIT, "the record succeeded", () -> "succeeded".equals(record(id).getString("status")));
        assertEquals(List.of("images/" + id + "/0.png"), record(id).getList("image_keys"));

        // A client connecting after the end gets the final state and the stream closes at once.
        try (SseClient late = sse(id, null)) {
            List<SseClient.Event> events = late.untilEnd(WAIT);
            assertEquals(1, events.size());
            assertEquals("succeeded", events.get(0).name());
            assertEquals("5", events.get(0).id());
        }
        // The URL endpoint now asks the storage adapter, which is unreachable in this test: 503 problem.
        given().get("/generated-images/" + id + "/url").then().statusCode(503)
                .contentType("application/problem+json")
                .body("detail", containsString("images/" + id + "/0.png"));
    }

    @Test
    void lastEventIdResumesAfterTheEventsAlreadySeen() throws Exception {
        UUID id = submitAndTake("resume", 5);
        generator.publish(FakeGenerator.running(id, 1, 5));
        generator.publish(event(id, JobEventType.PROGRESS, 2, 1, 5));
        Eventually.await(WAIT, "step 1 is stored", () -> record(id).getInt("current_step") == 1);

        try (SseClient seenAll = sse(id, "2"); SseClient seenOne = sse(id, "1")) {
            SseClient.Event state = seenOne.nextNonHeartbeat(WAIT);
            assertEquals("2", state.id(), "a client that saw event 1 gets the current state (2)");
            assertEquals("running", state.name());
            assertEquals(1, state.data().get("step").asInt());

            // The client that saw event 2 gets nothing until a newer event; heartbeats keep it open meanwhile.
            SseClient.Event heartbeat = seenAll.next(Duration.ofSeconds(5));
            assertNotNull(heartbeat, "no heartbeat within 5 s");
            assertEquals("heartbeat", heartbeat.name());
            assertNull(heartbeat.id(), "heartbeats must not carry an event id");

            generator.publish(event(id, JobEventType.PROGRESS, 3, 2, 5));
            SseClient.Event next = seenAll.nextNonHeartbeat(WAIT);
            assertEquals("3", next.id());
            assertEquals(2, next.data().get("step").asInt());
            assertEquals("3", seenOne.nextNonHeartbeat(WAIT).id());

            generator.publish(event(id, JobEventType.CANCELLED, 4, 2, 5));
            assertEquals(List.of("cancelled"), seenAll.untilEnd(WAIT).stream().map(SseClient.Event::name).toList());
            assertEquals(List.of("cancelled"), seenOne.untilEnd(WAIT).stream().map(SseClient.Event::name).toList());
        }
    }

    @Test
    void lastEventIdMustBeANumber() throws Exception {
        UUID id = submitAndTake("bad header", 2);
        given().header("Last-Event-ID", "abc").accept("text/event-stream")
                .get("/generated-images/" + id + "/events")
                .then().statusCode(400).contentType("application/problem+json")
                .body("errors.field", org.hamcrest.Matchers.hasItem("Last-Event-ID"));
    }

    @Test
    void cancelIsBroadcastRepeatedForLateGeneratorsAndEndsCancelled() throws Exception {
        UUID id = submitAndTake("cancel me", 10);
        given().delete("/generated-images/" + id).then().statusCode(202)
                .body("id", equalTo(id.toString()))
                .body("status", equalTo("queued"))
                .body("cancel_requested", equalTo(true));
        CancelRequested cancel = generator.takeCancel(id, WAIT);
        assertNotNull(cancel, "CancelRequested was not broadcast");
        assertEquals(CancelRequested.SCHEMA_VERSION, cancel.schemaVersion());

        // A generator that took the job without having seen the cancel reports RUNNING: it is told again.
        generator.publish(FakeGenerator.running(id, 1, 10));
        assertNotNull(generator.takeCancel(id, WAIT), "the cancel was not re-sent after RUNNING");

        // Cancelling again while it is still running is accepted (idempotent).
        given().delete("/generated-images/" + id).then().statusCode(202).body("cancel_requested", equalTo(true));

        generator.publish(event(id, JobEventType.CANCELLED, 2, 1, 10));
        Eventually.await(WAIT, "the record is cancelled", () -> "cancelled".equals(record(id).getString("status")));
        assertNotNull(record(id).getString("finished_at"));

        given().delete("/generated-images/" + id).then().statusCode(409).contentType("application/problem+json")
                .body("detail", containsString("cancelled"));
        given().get("/generated-images/" + id + "/url").then().statusCode(409)
                .body("detail", containsString("cancelled"));
    }

    /**
     * A positive signal that everything published so far has been handled: a marker job's RUNNING and PROGRESS,
     * published after it, are applied. The persister handles its queue one message at a time in order and
     * progress flushes run one at a time, so once the marker's step is stored every earlier event (whose handling
     * acks it rather than retrying it) has been processed, and an earlier PROGRESS has been flushed.
     */
    private void awaitEarlierEventsProcessed() throws Exception {
        UUID marker = submitAndTake("marker", 2);
        generator.publish(FakeGenerator.running(marker, 1, 2));
        generator.publish(event(marker, JobEventType.PROGRESS, 2, 1, 2));
        Eventually.await(WAIT, "the marker job's step 1 is stored", () -> record(marker).getInt("current_step") == 1);
    }

    @Test
    void eventsOfUnknownJobsAndGarbageAreIgnored() throws Exception {
        UUID id = submitAndTake("after garbage", 2);

        // Not JSON at all.
        generator.publishRaw("job.progress", "this is not { json".getBytes(StandardCharsets.UTF_8));
        // JSON without a job id.
        ObjectNode noJobId = FakeGenerator.tree(FakeGenerator.running(id, 1, 2));
        assertNotNull(noJobId.remove("job_id"), "the wire form names the job id job_id");
        generator.publishRaw("job.running", FakeGenerator.bytes(noJobId));
        // A type no contract version has, for the real job and with the sequence the real RUNNING uses below: had it
        // been applied, that RUNNING would be dropped as a duplicate.
        ObjectNode unknownType = FakeGenerator.tree(FakeGenerator.succeeded(id, 1, 2, List.of("images/" + id + "/0.png")));
        unknownType.put("type", "EXPLODED");
        generator.publishRaw("job.exploded", FakeGenerator.bytes(unknownType));
        // Events of a job that was never stored. They are stamped older than the persister's retry window for jobs
        // whose row is not committed yet, so they are dropped at once rather than redelivered for a while.
        UUID unknown = UUID.randomUUID();
        Instant stale = Instant.now().minus(Duration.ofMinutes(5));
        generator.publish(new JobEvent(JobEvent.SCHEMA_VERSION, unknown, JobEventType.RUNNING, 1, 0, 3,
                FakeGenerator.WORKER, null, null, 512, 512, "pndm", stale));
        generator.publish(new JobEvent(JobEvent.SCHEMA_VERSION, unknown, JobEventType.SUCCEEDED, 2, 3, 3,
                FakeGenerator.WORKER, List.of("x"), null, null, null, null, stale));

        // The consumer handled all of that and goes on: the real job's RUNNING, published after it, is applied.
        generator.publish(FakeGenerator.running(id, 1, 2));
        Eventually.await(WAIT, "the record is running", () -> "running".equals(record(id).getString("status")));
        awaitEarlierEventsProcessed();
        JsonPath record = record(id);
        assertEquals("running", record.getString("status"));
        assertEquals(0, record.getInt("current_step"));
        assertEquals(List.of(), record.getList("image_keys"));
        given().get("/generated-images/" + unknown).then().statusCode(404);
    }

    private double metric(String name) {
        String body = given().port(management.getPort()).get("/q/metrics").then().statusCode(200).extract().asString();
        Matcher matcher = Pattern.compile("(?m)^" + Pattern.quote(name) + "(?:\\{[^}]*})? ([0-9.eE+-]+)$").matcher(body);
        assertTrue(matcher.find(), name + " not in /q/metrics");
        return Double.parseDouble(matcher.group(1));
    }
}
