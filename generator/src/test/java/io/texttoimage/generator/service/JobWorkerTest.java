package io.texttoimage.generator.service;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.GetResponse;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.texttoimage.broker.StoreImageHeaders;
import io.texttoimage.contracts.GenerationRequested;
import io.texttoimage.contracts.ImageStored;
import io.texttoimage.contracts.JobEvent;
import io.texttoimage.contracts.JobEventType;
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
import java.util.List;
import java.util.UUID;

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
                () -> given().get("/q/health/ready").statusCode() == 200);
        given().get("/q/health/ready").then().statusCode(200)
                .body("status", equalTo("UP"))
                .body("checks.name", hasItem("model ready: model on CPU"));
        given().get("/q/health/live").then().statusCode(200);
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
        given().get("/q/metrics").then().statusCode(200)
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
        assertEquals(0, broker.readyJobs());
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

    /** Last: it shuts the worker down. */
    @Test
    @Order(100)
    void shutdownStopsBetweenStepsAndRequeuesTheRunningJob() throws Exception {
        UUID jobId = UUID.randomUUID();
        GenerationRequested job = BrokerHarness.job(jobId, 150, 128, 128, null, 1);
        broker.publish(job);
        broker.awaitEvent(jobId, e -> e.type() == JobEventType.PROGRESS, TIMEOUT);

        worker.onStop(null);
        given().get("/q/health/ready").then().statusCode(503); // a stopping worker takes no new traffic

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
