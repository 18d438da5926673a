package io.texttoimage.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;

import io.texttoimage.localstack.client.ApiException;
import io.texttoimage.localstack.client.GatewayClient;
import io.texttoimage.localstack.service.ServiceKind;

import java.net.URI;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

/**
 * Two launchers on one machine, each with its own data folder, both on the machine's PostgreSQL and RabbitMQ
 * (where they run): each stack's generator must take only its own jobs and store their images in its own S3.
 * With a shared database and messaging prefix, half of such jobs ended in "502 … storage adapter answered 404".
 */
class TwoStacksE2eTest {
    private static final Set<String> TERMINAL = Set.of("succeeded", "failed", "cancelled");
    private static final Duration START = Duration.ofMinutes(8);

    @Test
    void twoStacksOnTheSameServersKeepTheirJobsAndImagesApart() throws Exception {
        assumeTrue(Files.isRegularFile(LauncherProcess.LAUNCHER), LauncherProcess.LAUNCHER + " is missing: run `./mvnw verify`");
        for (ServiceKind kind : ServiceKind.values()) {
            assumeTrue(Files.isRegularFile(kind.runJar(E2eStack.REPO_ROOT)), kind.runJar(E2eStack.REPO_ROOT) + " is missing");
        }
        String tiny = E2eStack.TINY_MODEL.toString();
        try (LauncherProcess one = LauncherProcess.start(LauncherProcess.freshDataDir(), Map.of(), "--keep-running", "--model", tiny);
             LauncherProcess two = LauncherProcess.prepare(LauncherProcess.freshDataDir(), Map.of(), "--keep-running", "--model", tiny)) {
            try {
                GatewayClient first = new GatewayClient(awaitRunning(one), one.apiKey());
                two.start(); // after the first holds its ports: two launchers choosing ports at once could pick the same
                GatewayClient second = new GatewayClient(awaitRunning(two), two.apiKey());
                // All six are queued at once, so that each generator would find the other stack's jobs on a shared queue.
                List<String> ofFirst = submitThree(first);
                List<String> ofSecond = submitThree(second);

                assertOwnJobsSucceedWithTheirImages(first, ofFirst);
                assertOwnJobsSucceedWithTheirImages(second, ofSecond);
                assertEquals(401, assertThrows(ApiException.class, () -> second.withApiKey(one.apiKey()).get(ofSecond.get(0)))
                        .status(), "stack two accepts the key of stack one");
                for (String id : ofFirst) {
                    assertEquals(404, assertThrows(ApiException.class, () -> second.get(id)).status(), "stack two knows " + id);
                }
                for (String id : ofSecond) {
                    assertEquals(404, assertThrows(ApiException.class, () -> first.get(id)).status(), "stack one knows " + id);
                }
            } finally {
                one.close();
                two.close();
                one.dropSharedNames();
                two.dropSharedNames();
            }
        }
    }

    private static URI awaitRunning(LauncherProcess launcher) throws InterruptedException {
        URI gateway = launcher.gatewayUri();
        launcher.awaitLine(line -> line.contains("the stack keeps running"), START);
        return gateway;
    }

    private static List<String> submitThree(GatewayClient gateway) throws Exception {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            JsonNode job = gateway.submit(Map.of("prompt", "stack job " + i, "num_steps", 10, "width", 128, "height", 128));
            ids.add(job.get("id").asText());
        }
        return ids;
    }

    private static void assertOwnJobsSucceedWithTheirImages(GatewayClient gateway, List<String> ids) throws Exception {
        for (String id : ids) {
            JsonNode record = awaitTerminal(gateway, id);
            assertEquals("succeeded", record.get("status").asText(), "record: " + record);
            JsonNode urls = gateway.signedUrls(id); // the gateway asks its own storage adapter: a 502 if the image is elsewhere
            byte[] png = gateway.download(URI.create(urls.path("images").get(0).path("url").asText()));
            assertEquals(128, Pngs.decode(png).getWidth());
        }
    }

    private static JsonNode awaitTerminal(GatewayClient gateway, String id) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode record = gateway.get(id);
            if (TERMINAL.contains(record.path("status").asText())) {
                return record;
            }
            Thread.sleep(250);
        }
        throw new AssertionError("job " + id + " did not finish within 5 minutes: " + gateway.get(id));
    }
}
