package io.texttoimage.contracts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The wire format is what crosses service boundaries: snake_case, versioned, tolerant of new fields. */
class EventJsonTest {

    private final ObjectMapper mapper = new ObjectMapper()
            .registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);

    @Test
    void generationRequestedIsSnakeCaseAndRoundTrips() throws Exception {
        var request = new GenerationRequested(GenerationRequested.SCHEMA_VERSION, UUID.randomUUID(), "a cat", null,
                20, 7.5, 512, null, "euler-a", Long.MAX_VALUE, 2, Instant.parse("2026-11-28T01:00:00Z"));
        JsonNode json = mapper.readTree(mapper.writeValueAsString(request));
        assertEquals(1, json.get("schema_version").asInt());
        assertEquals("a cat", json.get("prompt").asText());
        assertEquals(Long.MAX_VALUE, json.get("seed").asLong(), "64-bit seeds must survive JSON");
        assertTrue(json.has("num_steps") && json.has("guidance_scale") && json.has("num_images"));
        assertFalse(json.has("numSteps"));
        assertEquals(request, mapper.treeToValue(json, GenerationRequested.class));
    }

    @Test
    void jobEventRoundTripsAndIgnoresFieldsFromNewerProducers() throws Exception {
        var event = new JobEvent(JobEvent.SCHEMA_VERSION, UUID.randomUUID(), JobEventType.SUCCEEDED, 7, 20, 20, "w1",
                List.of("images/x/0.png"), null, null, null, null, Instant.parse("2026-11-28T01:00:00Z"));
        String json = mapper.writeValueAsString(event);
        assertTrue(json.contains("\"image_keys\":[\"images/x/0.png\"]"), json);
        String withExtraField = json.replaceFirst("\\{", "{\"added_in_v2\":true,");
        assertEquals(event, mapper.readValue(withExtraField, JobEvent.class));
        assertEquals("job.succeeded", event.routingKey());
    }

    @Test
    void runningCarriesThePromptTruncationAndOlderEventsWithoutItStillParse() throws Exception {
        var truncation = new PromptTruncation(new PromptTruncation.TruncatedText(80, 77, "in the snow"), null);
        var running = new JobEvent(JobEvent.SCHEMA_VERSION, UUID.randomUUID(), JobEventType.RUNNING, 1, 0, 21, "w1",
                null, null, 512, 512, "pndm", Instant.parse("2026-11-28T01:00:00Z"), truncation, null);
        JsonNode json = mapper.readTree(mapper.writeValueAsString(running));
        JsonNode prompt = json.path("prompt_truncation").path("prompt");
        assertEquals(80, prompt.path("tokens").asInt());
        assertEquals(77, prompt.path("max_tokens").asInt());
        assertEquals("in the snow", prompt.path("dropped_text").asText());
        assertTrue(json.path("prompt_truncation").path("negative_prompt").isNull());
        assertEquals(running, mapper.treeToValue(json, JobEvent.class));

        // What a generator from before the field sends: no prompt_truncation key at all.
        String old = "{\"schema_version\":1,\"job_id\":\"" + running.jobId() + "\",\"type\":\"RUNNING\",\"sequence\":1,"
                + "\"step\":0,\"total_steps\":21,\"worker_id\":\"w1\",\"width\":512,\"height\":512,"
                + "\"scheduler\":\"pndm\",\"at\":\"2026-11-28T01:00:00Z\"}";
        JobEvent parsed = mapper.readValue(old, JobEvent.class);
        assertEquals(null, parsed.promptTruncation());
        assertEquals(512, parsed.width());
    }

    @Test
    void terminalTypesAreExactlyTheEndStates() {
        for (JobEventType type : JobEventType.values()) {
            boolean expected = type == JobEventType.SUCCEEDED || type == JobEventType.FAILED
                    || type == JobEventType.CANCELLED;
            assertEquals(expected, type.isTerminal(), type.name());
        }
    }

    @Test
    void imageKeysAreStablePerJobAndIndex() {
        UUID job = UUID.fromString("00000000-0000-0000-0000-000000000001");
        assertEquals("images/00000000-0000-0000-0000-000000000001/1.png", ImageStored.keyOf(job, 1));
        // The documented format images/<job uuid>/<index>.png: the index and the job id are both in the key.
        assertEquals("images/00000000-0000-0000-0000-000000000001/0.png", ImageStored.keyOf(job, 0));
        assertEquals("images/123e4567-e89b-12d3-a456-426614174000/3.png",
                ImageStored.keyOf(UUID.fromString("123e4567-e89b-12d3-a456-426614174000"), 3));
    }

    @Test
    void thePreviewsFlagIsOptionalOnTheWire() throws Exception {
        UUID jobId = UUID.randomUUID();
        var asked = new GenerationRequested(GenerationRequested.SCHEMA_VERSION, jobId, "a cat", null, 20, 7.5, null,
                null, null, 1, 1, Instant.parse("2026-11-28T01:00:00Z"), true);
        JsonNode json = mapper.readTree(mapper.writeValueAsString(asked));
        assertTrue(json.get("previews").asBoolean());
        assertEquals(asked, mapper.treeToValue(json, GenerationRequested.class));
        // What a gateway from before the field sends: no previews key, which means none.
        ((com.fasterxml.jackson.databind.node.ObjectNode) json).remove("previews");
        assertFalse(mapper.treeToValue(json, GenerationRequested.class).previews());

        var beat = new WorkerHeartbeat(WorkerHeartbeat.SCHEMA_VERSION, "gen-1", "m", null, "CPU", null, null, 5.0,
                Instant.parse("2026-11-28T01:00:00Z"), Instant.parse("2026-11-28T01:00:05Z"), true);
        JsonNode beatJson = mapper.readTree(mapper.writeValueAsString(beat));
        assertTrue(beatJson.get("previews").asBoolean());
        ((com.fasterxml.jackson.databind.node.ObjectNode) beatJson).remove("previews");
        assertFalse(mapper.treeToValue(beatJson, WorkerHeartbeat.class).previews(), "older workers send none");
    }

    @Test
    void aPreviewCarriesItsImageAsBase64AndAsADataUrl() throws Exception {
        byte[] png = {(byte) 0x89, 'P', 'N', 'G', 0, 1, 2};
        var preview = new JobPreview(JobPreview.SCHEMA_VERSION, UUID.randomUUID(), 5, 21, 64, 64, JobPreview.PNG, png,
                1, Instant.parse("2026-11-28T01:00:00Z"));
        JsonNode json = mapper.readTree(mapper.writeValueAsString(preview));
        assertEquals("iVBORwABAg==", json.get("image").asText());
        assertEquals(21, json.get("total_steps").asInt());
        assertEquals("image/png", json.get("media_type").asText());
        JobPreview parsed = mapper.treeToValue(json, JobPreview.class);
        assertEquals(5, parsed.step());
        assertTrue(java.util.Arrays.equals(png, parsed.image()));
        assertEquals("data:image/png;base64,iVBORwABAg==", parsed.dataUrl());
        assertFalse(JobPreview.ROUTING_KEY.startsWith("job."), "the persist queue binds job.#: no preview may match");
    }

    @Test
    void workerHeartbeatIsSnakeCaseAndRoundTrips() throws Exception {
        var beat = new WorkerHeartbeat(WorkerHeartbeat.SCHEMA_VERSION, "gen-1", "onnx-community/sd15", "main", "CPU",
                new WorkerHeartbeat.CurrentJob(UUID.randomUUID(), 3, 21), java.util.Map.of("512x512", 1.25), 5.0,
                Instant.parse("2026-11-28T01:00:00Z"), Instant.parse("2026-11-28T01:00:05Z"));
        JsonNode json = mapper.readTree(mapper.writeValueAsString(beat));
        assertEquals("gen-1", json.get("worker_id").asText());
        assertEquals(3, json.path("current_job").path("step").asInt());
        assertEquals(21, json.path("current_job").path("total_steps").asInt());
        assertEquals(1.25, json.path("step_seconds").path("512x512").asDouble());
        assertEquals(5.0, json.get("interval_seconds").asDouble());
        assertEquals(beat, mapper.treeToValue(json, WorkerHeartbeat.class));
    }
}
