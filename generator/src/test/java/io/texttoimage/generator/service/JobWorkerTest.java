package io.texttoimage.generator.service;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.GetResponse;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.texttoimage.broker.JobAttempts;
import io.texttoimage.broker.StoreImageHeaders;
import io.texttoimage.contracts.GenerationRequested;
import io.texttoimage.contracts.ImageStored;
import io.texttoimage.contracts.JobEvent;
import io.texttoimage.contracts.JobEventType;
import io.texttoimage.contracts.PromptTruncation;
import io.texttoimage.contracts.WorkerHeartbeat;
import io.texttoimage.pipeline.io.PngImages;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The worker service end to end on the tiny reference model: real RabbitMQ, real ONNX Runtime; the test plays the
 * gateway (jobs, cancels, event subscriber) and the storage adapter (answers StoreImage with ImageStored).
 */
@QuarkusTest
@QuarkusTestResource(value = GeneratorTestResource.class, restrictToAnnotatedClass = true)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class JobWorkerTest {
    /** Health and metrics are on the management interface, not on the API's port. */
    @TestHTTPResource(value = "/", management = true)
    java.net.URL management;

    private static final Duration TIMEOUT = Duration.ofSeconds(120);

    @Inject
    ObjectMapper json;
    @Inject
    JobWorker worker;
    @Inject
    CancelledJobs cancelled;

    private BrokerHarness broker;

    @BeforeAll
    void connect() throws Exception {
        broker = new BrokerHarness(GeneratorTestResource.topology, json);
    }

    @AfterAll
    void disconnect() throws Exception {
        broker.close();
    }

    @Test
    @Order(1)
    void readyOnceTheModelIsLoaded() throws Exception {
        BrokerHarness.awaitTrue("the worker is ready", TIMEOUT,
                () -> given().port(management.getPort()).get("/q/health/ready").statusCode() == 200);
        given().port(management.getPort()).get("/q/health/ready").then().statusCode(200)
                .body("status", equalTo("UP"))
                .body("checks.name", hasItem("model ready: model on CPU"));
        given().port(management.getPort()).get("/q/health/live").then().statusCode(200);
    }

    @Test
    @Order(2)
    void jobRunsReportsProgressStoresItsImageAndIsAcknowledged() throws Exception {
        UUID first = UUID.randomUUID();
        UUID second = UUID.randomUUID();
        GenerationRequested firstJob = BrokerHarness.job(first, 4, null, null, null, 1);
        broker.publish(firstJob);
        broker.publish(BrokerHarness.job(second, 3, 64, 128, "euler-a", 2));

        List<JobEvent> events = broker.awaitTerminal(first, TIMEOUT);
        JobEvent running = events.get(0);
        assertEquals(JobEventType.RUNNING, running.type());
        assertEquals(64, running.width());
        assertEquals(64, running.height());
        assertEquals("pndm", running.scheduler());
        assertEquals(5, running.totalSteps(), "RUNNING announces the total that PROGRESS reaches (PNDM: steps + 1)");
        assertEquals("test-worker", running.workerId());
        assertNull(running.promptTruncation(), "both prompts fit in 77 tokens");
        assertEquals(1, running.attempt(), "a first delivery is the first attempt");
        assertSequencesIncrease(events);

        List<JobEvent> progress = events.stream().filter(e -> e.type() == JobEventType.PROGRESS).toList();
        assertFalse(progress.isEmpty());
        // Informational only (speed is measured by benchmarks): idle worker, tiny model, same host clock.
        System.out.printf("idle worker: request -> RUNNING %d ms, -> first step done %d ms, -> SUCCEEDED %d ms%n",
                Duration.between(firstJob.requestedAt(), running.at()).toMillis(),
                Duration.between(firstJob.requestedAt(), progress.get(0).at()).toMillis(),
                Duration.between(firstJob.requestedAt(), events.get(events.size() - 1).at()).toMillis());
        for (int i = 1; i < progress.size(); i++) {
            assertTrue(progress.get(i).step() > progress.get(i - 1).step(), "steps increase: " + progress);
        }
        JobEvent lastProgress = progress.get(progress.size() - 1);
        assertEquals(lastProgress.totalSteps(), lastProgress.step(), "the last step is always reported");
        assertEquals(5, lastProgress.totalSteps(), "PNDM with 4 steps runs 5 UNet evaluations");

        JobEvent succeeded = events.get(events.size() - 1);
        assertEquals(JobEventType.SUCCEEDED, succeeded.type());
        assertEquals(List.of(ImageStored.keyOf(first, 0)), succeeded.imageKeys());

        List<BrokerHarness.StoredImage> stored = broker.images.get(first);
        assertEquals(1, stored.size());
        assertEquals("1", stored.get(0).headers().get(StoreImageHeaders.IMAGE_COUNT).toString());
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(stored.get(0).png()));
        assertNotNull(image, "the stored body decodes as a PNG");
        assertEquals(64, image.getWidth());

        // Prefetch 1: the second job can only be delivered once the first was acknowledged.
        List<JobEvent> secondEvents = broker.awaitTerminal(second, TIMEOUT);
        long firstDone = broker.arrivals(first).get(events.size() - 1).position();
        long secondStarted = broker.arrivals(second).get(0).position();
        assertTrue(secondStarted > firstDone, "the second job started after the first was acknowledged");
        assertEquals(JobEventType.RUNNING, secondEvents.get(0).type());
        assertEquals("euler-a", secondEvents.get(0).scheduler());
        assertEquals(128, secondEvents.get(0).height());
        assertEquals(List.of(ImageStored.keyOf(second, 0), ImageStored.keyOf(second, 1)),
                secondEvents.get(secondEvents.size() - 1).imageKeys());
        for (BrokerHarness.StoredImage png : broker.images.get(second)) {
            BufferedImage decoded = ImageIO.read(new ByteArrayInputStream(png.png()));
            assertEquals(64, decoded.getWidth());
            assertEquals(128, decoded.getHeight());
        }
        assertEquals(0, broker.readyJobs());
        given().port(management.getPort()).get("/q/metrics").then().statusCode(200)
                .body(containsString("t2i_generator_jobs_total{outcome=\"succeeded\"}"))
                .body(containsString("t2i_generator_step_seconds_count"));
    }

    @Test
    @Order(3)
    void cancelWhileRunningStopsBetweenSteps() throws Exception {
        UUID jobId = UUID.randomUUID();
        broker.publish(BrokerHarness.job(jobId, 150, 128, 128, "ddim", 1));
        broker.awaitEvent(jobId, e -> e.type() == JobEventType.PROGRESS, TIMEOUT);
        broker.cancel(jobId);

        List<JobEvent> events = broker.awaitTerminal(jobId, TIMEOUT);
        JobEvent last = events.get(events.size() - 1);
        assertEquals(JobEventType.CANCELLED, last.type());
        assertTrue(last.step() < 150, "stopped before the end, at step " + last.step());
        assertNull(broker.images.get(jobId), "no image is stored for a cancelled job");
        assertSequencesIncrease(events);
        assertEquals(0, broker.readyJobs());
    }

    @Test
    @Order(3)
    void theHeartbeatCarriesTheRunningJobAndNoneOnceIdle() throws Exception {
        UUID jobId = UUID.randomUUID();
        broker.publish(BrokerHarness.job(jobId, 150, 128, 128, "ddim", 1));
        JobEvent progress = broker.awaitEvent(jobId, e -> e.type() == JobEventType.PROGRESS && e.step() >= 2, TIMEOUT);
        long afterProgress = broker.arrivals(jobId).stream().filter(a -> a.event().equals(progress)).findFirst()
                .orElseThrow().position();
        WorkerHeartbeat busy = broker.awaitHeartbeat(afterProgress, beat -> beat.currentJob() != null, TIMEOUT);
        assertEquals("test-worker", busy.workerId());
        assertEquals(jobId, busy.currentJob().jobId());
        assertTrue(busy.currentJob().step() >= 2, "the step it had reached: " + busy.currentJob());
        assertEquals(150, busy.currentJob().totalSteps());
        assertEquals("CPU", busy.device());
        assertEquals("../testdata/sd-reference/model", busy.model());
        assertNull(busy.modelRevision(), "a local folder has no revision");
        assertEquals(0.2, busy.intervalSeconds(), 1e-9);
        assertTrue(busy.stepSeconds().getOrDefault("128x128", 0.0) > 0, "steps at 128x128 are timed: " + busy);

        broker.cancel(jobId);
        List<JobEvent> events = broker.awaitTerminal(jobId, TIMEOUT);
        long afterEnd = broker.arrivals(jobId).get(events.size() - 1).position();
        WorkerHeartbeat idle = broker.awaitHeartbeat(afterEnd, beat -> true, TIMEOUT);
        assertNull(idle.currentJob(), "idle after its job ended: " + idle);
        assertTrue(idle.at().isAfter(idle.startedAt()));
    }

    @Test
    @Order(4)
    void jobCancelledWhileQueuedIsSkipped() throws Exception {
        UUID jobId = UUID.randomUUID();
        broker.cancel(jobId);
        // the broadcast cancel reaches the worker before the job does
        BrokerHarness.awaitTrue("the worker heard the cancel", TIMEOUT, () -> cancelled.contains(jobId));
        broker.publish(BrokerHarness.job(jobId, 4, null, null, null, 1));

        List<JobEvent> events = broker.awaitTerminal(jobId, TIMEOUT);
        assertEquals(List.of(JobEventType.CANCELLED), events.stream().map(JobEvent::type).toList());
        assertEquals(0, events.get(0).step());
    }

    @Test
    @Order(5)
    void invalidParametersFailWithAReasonAndAreNotRetried() throws Exception {
        UUID badSize = UUID.randomUUID();
        UUID badScheduler = UUID.randomUUID();
        UUID tooManyImages = UUID.randomUUID();
        broker.publish(BrokerHarness.job(badSize, 4, 100, 64, null, 1));
        broker.publish(BrokerHarness.job(badScheduler, 4, null, null, "warp-drive", 1));
        broker.publish(BrokerHarness.job(tooManyImages, 4, null, null, null, 9));

        for (UUID jobId : List.of(badSize, badScheduler, tooManyImages)) {
            List<JobEvent> events = broker.awaitTerminal(jobId, TIMEOUT);
            assertEquals(List.of(JobEventType.FAILED), events.stream().map(JobEvent::type).toList(),
                    "rejected before RUNNING");
            String reason = events.get(0).error();
            assertNotNull(reason);
            assertTrue(reason.endsWith("."), reason);
        }
        assertTrue(broker.events(badScheduler).get(0).error().contains("warp-drive"),
                broker.events(badScheduler).get(0).error());
        assertTrue(broker.events(tooManyImages).get(0).error().contains("9"),
                broker.events(tooManyImages).get(0).error());
        // Prefetch 1 and requeued messages going back to the head of the queue: had a failed job been requeued
        // instead of acknowledged, it would be redelivered (and fail again) before a job published after it runs.
        UUID after = UUID.randomUUID();
        broker.publish(BrokerHarness.job(after, 4, 100, 64, null, 1));
        broker.awaitTerminal(after, TIMEOUT);
        for (UUID jobId : List.of(badSize, badScheduler, tooManyImages)) {
            assertEquals(1, broker.events(jobId).size(), "a failed job is acknowledged, not redelivered");
        }
        assertEquals(0, broker.readyJobs());
    }

    @Test
    @Order(6)
    void unreadableMessageIsDroppedAndTheWorkerCarriesOn() throws Exception {
        broker.publishBytes("this is not json".getBytes());
        UUID next = UUID.randomUUID();
        GenerationRequested nextJob = BrokerHarness.job(next, 2, null, null, "euler", 1);
        broker.publish(nextJob);
        List<JobEvent> events = broker.awaitTerminal(next, TIMEOUT);
        System.out.printf("warm idle worker: request -> RUNNING %d ms, -> first step done %d ms, -> SUCCEEDED %d ms%n",
                Duration.between(nextJob.requestedAt(), events.get(0).at()).toMillis(),
                Duration.between(nextJob.requestedAt(), events.get(1).at()).toMillis(),
                Duration.between(nextJob.requestedAt(), events.get(events.size() - 1).at()).toMillis());
        assertEquals(JobEventType.SUCCEEDED, events.get(events.size() - 1).type());
        // Dropped, not requeued. (Whether the queue is empty is not this test's question: on the embedded Qpid a
        // job redelivered earlier in the class may be re-published with its attempt count, see JobAttempts.)
        List<String> ready = broker.peekReadyJobs();
        assertTrue(ready.stream().noneMatch(body -> body.equals("this is not json")), "requeued: " + ready);
    }

    @Test
    @Order(7)
    void storageErrorFailsTheJobWithTheAdaptersReason() throws Exception {
        broker.storeError = "The message body is not a PNG image.";
        try {
            UUID jobId = UUID.randomUUID();
            broker.publish(BrokerHarness.job(jobId, 2, null, null, null, 1));
            List<JobEvent> events = broker.awaitTerminal(jobId, TIMEOUT);
            JobEvent last = events.get(events.size() - 1);
            assertEquals(JobEventType.FAILED, last.type());
            assertEquals("Storing image 0 failed: The message body is not a PNG image.", last.error());
        } finally {
            broker.storeError = null;
        }
    }

    @Test
    @Order(8)
    void runningReportsWhatTheTokenLimitCutOffAndThePngSaysSo() throws Exception {
        String prompt = "a red apple on a wooden table, ".repeat(12) + "Golden Hour";
        String negative = "blurry, ".repeat(40) + "watermark";
        UUID jobId = UUID.randomUUID();
        List<LogRecord> warnings = new CopyOnWriteArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord record) {
                if (record.getLevel().intValue() >= Level.WARNING.intValue()) {
                    warnings.add(record);
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        java.util.logging.Logger workerLog = java.util.logging.Logger.getLogger(JobWorker.class.getName());
        workerLog.addHandler(capture);
        try {
            broker.publish(new GenerationRequested(GenerationRequested.SCHEMA_VERSION, jobId, prompt, negative, 1, 7.5,
                    null, null, "ddim", 42L, 1, Instant.now()));
            List<JobEvent> events = broker.awaitTerminal(jobId, TIMEOUT);
            assertEquals(JobEventType.SUCCEEDED, events.get(events.size() - 1).type());

            PromptTruncation truncation = events.get(0).promptTruncation();
            assertNotNull(truncation, "RUNNING carries the truncation: " + events.get(0));
            assertEquals(77, truncation.prompt().maxTokens());
            assertTrue(truncation.prompt().tokens() > 77, "counted with start and end token: " + truncation);
            assertTrue(truncation.prompt().droppedText().endsWith("golden hour"), truncation.prompt().droppedText());
            assertTrue(truncation.negativePrompt().droppedText().endsWith("blurry, watermark"),
                    truncation.negativePrompt().droppedText());
            assertTrue(events.stream().skip(1).allMatch(e -> e.promptTruncation() == null), "only on RUNNING");

            String parameters = PngImages.readTextChunks(broker.images.get(jobId).get(0).png()).get("parameters");
            assertTrue(parameters.contains(", Prompt truncated: \"at 77 CLIP tokens (" + truncation.prompt().tokens()
                    + " given), ignored: "), parameters);
            assertTrue(parameters.contains(", Negative prompt truncated: "), parameters);

            List<String> messages = warnings.stream().map(r -> String.valueOf(r.getMessage())).toList();
            assertEquals(2, messages.stream().filter(m -> m.contains(jobId.toString())).count(), messages.toString());
            assertTrue(messages.stream().anyMatch(m -> m.contains("up to 77 tokens (" + truncation.prompt().tokens()
                    + " given")), messages.toString());
            assertTrue(messages.stream().noneMatch(m -> m.contains("golden") || m.contains("watermark")),
                    "the prompts stay out of the log: " + messages);
        } finally {
            workerLog.removeHandler(capture);
        }
    }

    /**
     * What a worker does with the attempt counts a broker without its own count leaves in a header
     * ({@link io.texttoimage.broker.JobAttempts}; the deaths themselves are played in the broker module's
     * JobAttemptsOnBrokersTest, on RabbitMQ and Qpid, and end to end in the gateway's DeadLetterTest).
     */
    @Test
    @Order(9)
    void aJobIsRunAsTheAttemptItsCountSaysAndNotRunPastTheLastOne() throws Exception {
        UUID second = UUID.randomUUID();
        UUID pastTheLast = UUID.randomUUID();
        broker.publish(BrokerHarness.job(pastTheLast, 4, null, null, null, 1),
                Map.of(JobAttempts.ATTEMPTS_HEADER, 3));
        broker.publish(BrokerHarness.job(second, 4, null, null, null, 1), Map.of(JobAttempts.ATTEMPTS_HEADER, 1));

        List<JobEvent> events = broker.awaitTerminal(second, TIMEOUT);
        assertEquals(JobEventType.SUCCEEDED, events.getLast().type());
        assertTrue(events.stream().allMatch(event -> event.attempt() == 2), "every event names attempt 2: " + events);
        assertTrue(events.getFirst().sequence() > 1_000_000_000_000L, "a later attempt's sequence is above any of"
                + " the first's: " + events.getFirst().sequence());

        GetResponse deadLetter = broker.takeDeadLetter();
        assertNotNull(deadLetter, "the job past its last attempt went to the dead-letter queue");
        assertEquals(pastTheLast, json.readValue(deadLetter.getBody(), GenerationRequested.class).jobId());
        assertEquals(3, deadLetter.getProps().getHeaders().get(JobAttempts.ATTEMPTS_HEADER));
        assertEquals(List.of(), broker.events(pastTheLast), "it did not run");
    }

    /** Last: it shuts the worker down. */
    /**
     * A job that asks for previews gets one after every k-th step (k = 2 here), of its first image, at latent
     * resolution, within the per-job byte bound; a job that does not ask gets none; the heartbeat announces them.
     */
    @Test
    @Order(10)
    void aPreviewsJobGetsPreviewsEveryKStepsWithinTheByteBoundAndOthersNone() throws Exception {
        UUID withPreviews = UUID.randomUUID();
        UUID without = UUID.randomUUID();
        GenerationRequested plain = BrokerHarness.job(withPreviews, 20, 64, 128, "euler", 2);
        broker.publish(new GenerationRequested(plain.schemaVersion(), withPreviews, plain.prompt(),
                plain.negativePrompt(), plain.numSteps(), plain.guidanceScale(), plain.width(), plain.height(),
                plain.scheduler(), plain.seed(), plain.numImages(), plain.requestedAt(), true));
        broker.publish(BrokerHarness.job(without, 20, 64, 64, "euler", 1));
        broker.awaitTerminal(withPreviews, TIMEOUT);
        List<JobEvent> plainEvents = broker.awaitTerminal(without, TIMEOUT);
        assertEquals(JobEventType.SUCCEEDED, plainEvents.getLast().type());

        List<BrokerHarness.HeardPreview> heard = broker.previews(withPreviews);
        assertFalse(heard.isEmpty(), "the first preview always fits the byte bound");
        long bytes = 0;
        int previousStep = 0;
        for (BrokerHarness.HeardPreview one : heard) {
            io.texttoimage.contracts.JobPreview preview = one.preview();
            assertEquals(0, preview.step() % GeneratorTestResource.PREVIEW_EVERY_STEPS, "a k-th step: " + preview.step());
            assertTrue(preview.step() > previousStep, "steps increase");
            previousStep = preview.step();
            assertEquals(20, preview.totalSteps());
            assertEquals(8, preview.width(), "latent resolution: 64 / 8");
            assertEquals(16, preview.height(), "latent resolution: 128 / 8");
            assertEquals("image/png", preview.mediaType());
            assertEquals(1, preview.attempt());
            BufferedImage image = ImageIO.read(new ByteArrayInputStream(preview.image()));
            assertEquals(8, image.getWidth());
            assertEquals(16, image.getHeight());
            bytes += preview.image().length;
        }
        // A bucket of one second's bytes, refilled at that rate: what was sent fits in it plus the refill since.
        double seconds = Duration.between(heard.getFirst().preview().at(), heard.getLast().preview().at()).toNanos()
                / 1e9;
        // (plus 50 ms of refill: "at" is stamped just after the bucket is looked at, so the span can be a little short)
        double bound = GeneratorTestResource.PREVIEW_BYTES_PER_SECOND * (1 + seconds + 0.05);
        System.out.printf("previews: %d of %d candidate steps sent, %d bytes in %.3f s (bound %.0f)%n", heard.size(),
                20 / GeneratorTestResource.PREVIEW_EVERY_STEPS, bytes, seconds, bound);
        assertTrue(bytes <= bound, bytes + " preview bytes in " + seconds + " s exceed the bound " + bound);
        assertTrue(broker.previews(without).isEmpty(), "a job that did not ask gets no previews");

        WorkerHeartbeat beat = broker.awaitHeartbeat(broker.arrivals(without).getLast().position(), b -> true,
                TIMEOUT);
        assertTrue(beat.previews(), "the heartbeat announces previews: " + beat);
    }

    @Test
    @Order(100)
    void shutdownStopsBetweenStepsAndRequeuesTheRunningJob() throws Exception {
        UUID jobId = UUID.randomUUID();
        GenerationRequested job = BrokerHarness.job(jobId, 150, 128, 128, null, 1);
        broker.publish(job);
        broker.awaitEvent(jobId, e -> e.type() == JobEventType.PROGRESS, TIMEOUT);

        worker.onStop(null);
        given().port(management.getPort()).get("/q/health/ready").then().statusCode(503); // a stopping worker takes no new traffic

        List<JobEvent> events = broker.events(jobId);
        assertFalse(events.get(events.size() - 1).type().isTerminal(), "no terminal event: " + events);
        GetResponse requeued = null;
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (requeued == null && System.nanoTime() < deadline) {
            requeued = broker.takeJob();
            Thread.sleep(20);
        }
        assertNotNull(requeued, "the job went back to the queue for another worker");
        assertTrue(requeued.getEnvelope().isRedeliver());
        assertEquals(jobId, json.readValue(requeued.getBody(), GenerationRequested.class).jobId());
    }

    private static void assertSequencesIncrease(List<JobEvent> events) {
        for (int i = 1; i < events.size(); i++) {
            assertTrue(events.get(i).sequence() > events.get(i - 1).sequence(), "sequences increase: " + events);
        }
    }
}
