package io.texttoimage.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.texttoimage.localstack.client.GatewayClient;
import io.texttoimage.localstack.service.ServiceKind;
import io.texttoimage.localstack.service.ServiceProcess;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A job whose image S3 does not take, across real processes (storage adapter, generator, gateway): the adapter
 * retries for its window (5 s here), announces the failure, the generator fails the job with that reason, and the
 * gateway's record says so. The embedded S3Proxy keeps buckets as folders; replacing the bucket's folder with a
 * plain file makes every write of it fail on the server, as a broken S3 backend would.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ImageStoreFailureE2eTest {
    private static final Set<String> TERMINAL = Set.of("succeeded", "failed", "cancelled");
    private static final Duration JOB_TIMEOUT = Duration.ofMinutes(3);
    /** The storage adapter's default bucket (storage-adapter application.properties). */
    private static final String BUCKET = "generated-images";

    private E2eStack e2e;
    private GatewayClient gateway;

    @BeforeAll
    void startTheSystem() throws Exception {
        e2e = E2eStack.startInfrastructure(Map.of(ServiceKind.STORAGE_ADAPTER, Map.of(
                "t2i.storage.retry-window", "PT5S",
                "t2i.storage.retry-backoff", "PT0.2S",
                "t2i.storage.retry-backoff-max", "PT1S")), Map.of());
        Map<String, ServiceKind> instances = new LinkedHashMap<>();
        instances.put("storage-adapter", ServiceKind.STORAGE_ADAPTER);
        instances.put("generator", ServiceKind.GENERATOR);
        instances.put("gateway", ServiceKind.GATEWAY);
        List<ServiceProcess> started = e2e.start(instances);
        gateway = e2e.client(started.get(2));
    }

    @AfterAll
    void stopTheSystem() {
        if (e2e != null) {
            e2e.close();
        }
    }

    @Test
    void aJobWhoseImageS3DoesNotTakeEndsFailedWithTheReasonAndJobsSucceedOnceS3IsBack() throws Exception {
        Path bucket = e2e.embeddedBucketFolder(BUCKET);
        assertTrue(Files.isDirectory(bucket), "the adapter created its bucket at start: " + bucket);
        Path away = bucket.resolveSibling(BUCKET + ".away");
        Files.move(bucket, away);
        Files.writeString(bucket, "not a bucket");
        JsonNode failed;
        try {
            String id = gateway.submit(Map.of("prompt", "never stored", "num_steps", 2, "width", 128, "height", 128))
                    .get("id").asText();
            failed = awaitTerminal(id);
        } finally {
            Files.delete(bucket);
            Files.move(away, bucket);
        }
        assertEquals("failed", failed.path("status").asText(), "record: " + failed);
        String error = failed.path("error").asText();
        assertTrue(error.matches("Storing image 0 failed: Gave up after \\d+ attempts over \\d+ s: S3 .+\\."), error);
        assertEquals(0, failed.path("image_keys").size(), "a failed job names no objects: " + failed);

        String next = gateway.submit(Map.of("prompt", "stored", "num_steps", 2, "width", 128, "height", 128))
                .get("id").asText();
        JsonNode succeeded = awaitTerminal(next);
        assertEquals("succeeded", succeeded.path("status").asText(), "record: " + succeeded);
        String key = succeeded.path("image_keys").get(0).asText();
        assertTrue(Files.isRegularFile(bucket.resolve(key)), "the succeeded job's object is in the bucket: " + key);
    }

    private JsonNode awaitTerminal(String id) throws Exception {
        long deadline = System.nanoTime() + JOB_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode record = gateway.get(id);
            if (TERMINAL.contains(record.path("status").asText())) {
                return record;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("job " + id + " did not finish within " + JOB_TIMEOUT.toSeconds() + " s: " + gateway.get(id));
    }
}
