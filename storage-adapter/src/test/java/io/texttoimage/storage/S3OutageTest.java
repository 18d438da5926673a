package io.texttoimage.storage;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.minio.GetObjectArgs;
import io.minio.MinioClient;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.texttoimage.contracts.ImageStored;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * S3 goes away while images are being stored: the adapter's way to the real S3Proxy is cut (connections reset, new
 * ones refused, as when S3 is stopped) and restored on the same port. The retry window is short here (8 s: enough
 * for a loaded machine to check readiness and metrics during the short outage) so that a longer outage fits in a test.
 */
@QuarkusTest
@TestProfile(S3OutageTest.ShortRetryWindow.class)
class S3OutageTest {
    static final Duration WINDOW = Duration.ofSeconds(8);

    public static class ShortRetryWindow implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "t2i.storage.retry-backoff", "PT0.1S",
                    "t2i.storage.retry-backoff-max", "PT0.4S",
                    "t2i.storage.retry-window", WINDOW.toString());
        }
    }

    @TestHTTPResource(value = "/", management = true)
    java.net.URL management;

    @Inject
    ObjectMapper json;

    private GeneratorSide generator;
    private MinioClient s3;

    @BeforeEach
    void connect() throws Exception {
        generator = new GeneratorSide(json);
        s3 = MinioClient.builder().endpoint(StorageTestResource.s3.endpoint())
                .credentials(StorageTestResource.s3.accessKey(), StorageTestResource.s3.secretKey()).build();
    }

    @AfterEach
    void restoreAndDisconnect() throws Exception {
        try {
            StorageTestResource.s3Link.restore();
        } catch (java.net.BindException alreadyRestored) {
            // the test gave S3 back itself
        }
        generator.close();
    }

    @Test
    void shortOutageDelaysTheStoreWhichSucceedsAfterItAndNotifiesOnce() throws Exception {
        double retriedBefore = counter("retried");
        UUID jobId = UUID.randomUUID();
        byte[] png = TestImages.png(16, 16, 7);

        StorageTestResource.s3Link.cut();
        generator.publish(jobId, 0, 1, png);
        awaitCounterAbove("retried", retriedBefore);
        given().port(management.getPort()).get("/q/health/ready").then().statusCode(503)
                .body("checks.find { it.name == 's3' }.status", equalTo("DOWN"));
        Thread.sleep(500); // several failed attempts, inside the window
        StorageTestResource.s3Link.restore();

        ImageStored stored = generator.awaitStored(jobId);
        assertNull(stored.error(), "an outage shorter than the window is ridden out");
        assertEquals(png.length, stored.sizeBytes());
        try (InputStream in = s3.getObject(GetObjectArgs.builder()
                .bucket(StorageTestResource.BUCKET).object(stored.key()).build())) {
            assertArrayEquals(png, in.readAllBytes());
        }
        generator.assertQueueDrained();
        generator.assertNoFurtherNotification(jobId);
        assertTrue(counter("retried") >= retriedBefore + 2, "retried attempts are counted");
        assertEquals(0.0, gauge("t2i_storage_images_retrying"), "nothing is retrying any more");
        given().port(management.getPort()).get("/q/health/ready").then().statusCode(200)
                .body("status", equalTo("UP"));
    }

    @Test
    void outageLongerThanTheWindowFailsTheImageWithTheReasonAndAcknowledgesIt() throws Exception {
        double gaveUpBefore = counter("gave-up");
        UUID jobId = UUID.randomUUID();

        StorageTestResource.s3Link.cut();
        Instant published = Instant.now();
        generator.publish(jobId, 0, 1, TestImages.png(16, 16, 8));

        ImageStored failed = generator.awaitStored(jobId, 20);
        Duration took = Duration.between(published, Instant.now());
        assertNotNull(failed.error(), "past the window the producer is told");
        assertTrue(failed.error().matches("Gave up after \\d+ attempts over \\d+ s: S3 unreachable \\(.*\\)\\."),
                failed.error());
        assertEquals(ImageStored.keyOf(jobId, 0), failed.key());
        assertEquals(0, failed.sizeBytes());
        assertTrue(took.compareTo(WINDOW.minusMillis(1_100)) >= 0, "retried for the window (publish time has "
                + "second resolution), took " + took);
        generator.assertQueueDrained(); // acknowledged, not requeued
        assertTrue(counter("gave-up") >= gaveUpBefore + 1);

        StorageTestResource.s3Link.restore();
        generator.assertNoFurtherNotification(jobId);
        assertFalse(objectExists(ImageStored.keyOf(jobId, 0)), "no object for a failed image");
    }

    @Test
    void theWindowCountsFromPublicationSoARedeliveryDoesNotStartItAgain() throws Exception {
        UUID jobId = UUID.randomUUID();
        StorageTestResource.s3Link.cut();
        // As a message redelivered after a replica crashed would be: published long before this delivery.
        generator.publishAsOf(Date.from(Instant.now().minusSeconds(60)), jobId, 0, 1, TestImages.png(8, 8, 9));

        ImageStored failed = generator.awaitStored(jobId, 10);
        assertNotNull(failed.error());
        assertTrue(failed.error().startsWith("Gave up after 1 attempt over "), failed.error());
        generator.assertQueueDrained();
        assertEquals(0.0, gauge("t2i_storage_images_retrying"), "a store that never waited is not counted as waiting");
    }

    @Test
    void malformedMessageStillFailsAtOnceDuringAnOutage() throws Exception {
        UUID jobId = UUID.randomUUID();
        StorageTestResource.s3Link.cut();
        Instant published = Instant.now();
        generator.publish(jobId, 0, 1, "not a png".getBytes());

        ImageStored rejected = generator.awaitStored(jobId, 10);
        assertEquals("The message body is not a PNG image.", rejected.error(), "rejected before any S3 attempt");
        assertTrue(Duration.between(published, Instant.now()).compareTo(WINDOW) < 0, "without waiting for S3");
        generator.assertQueueDrained();
    }

    private boolean objectExists(String key) throws Exception {
        try {
            s3.statObject(io.minio.StatObjectArgs.builder().bucket(StorageTestResource.BUCKET).object(key).build());
            return true;
        } catch (io.minio.errors.ErrorResponseException e) {
            return false;
        }
    }

    private void awaitCounterAbove(String outcome, double before) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (counter(outcome) <= before) {
            assertTrue(System.nanoTime() < deadline, "no " + outcome + " store within 10 s");
            Thread.sleep(50);
        }
    }

    private double counter(String outcome) {
        return metric("t2i_storage_images_total\\{[^}]*outcome=\"" + Pattern.quote(outcome) + "\"[^}]*}");
    }

    private double gauge(String name) {
        return metric(Pattern.quote(name) + "(?:\\{[^}]*})?");
    }

    /** The value of one Prometheus sample; 0 when it is not exported yet. */
    private double metric(String sample) {
        String body = given().port(management.getPort()).get("/q/metrics").then().statusCode(200)
                .extract().asString();
        Matcher m = Pattern.compile("(?m)^" + sample + " (\\S+)$").matcher(body);
        return m.find() ? Double.parseDouble(m.group(1)) : 0.0;
    }
}
