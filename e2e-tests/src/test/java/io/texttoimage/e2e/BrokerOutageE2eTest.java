package io.texttoimage.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.texttoimage.e2e.servers.RabbitNode;
import io.texttoimage.localstack.client.GatewayClient;
import io.texttoimage.localstack.service.ServiceKind;
import io.texttoimage.localstack.service.ServiceProcess;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A RabbitMQ outage under a real stack: a private RabbitMQ node ({@link RabbitNode}), a storage adapter, a
 * generator and a gateway (packaged, on the tiny model), the machine's PostgreSQL and an S3Proxy. The node is first
 * stopped cleanly and started, then SIGKILLed for {@link #OUTAGE} while a job runs and another waits in the queue,
 * then restarted. What users rely on during and after it: submissions refused with 503 naming the broker (never
 * 500), reads working, readiness DOWN and back UP by itself, no job lost, new jobs working end to end without
 * restarting any service, and a bounded number of log lines per outage. The measured figures are printed.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BrokerOutageE2eTest {
    private static final Set<String> TERMINAL = Set.of("succeeded", "failed", "cancelled");
    private static final Duration OUTAGE = Duration.ofSeconds(10);
    private static final Duration RECOVERY_LIMIT = Duration.ofMinutes(3);
    /** A bound on WARN/ERROR lines per service for one outage: a flood is thousands. */
    private static final int MAX_PROBLEM_LINES_PER_OUTAGE = 20;
    private static final Pattern JOB_ID = Pattern.compile(
            "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private RabbitNode rabbit;
    private E2eStack e2e;
    private GatewayClient gateway;
    private ServiceProcess gatewayProcess;
    private ServiceProcess generatorProcess;
    private List<ServiceProcess> services;

    @BeforeAll
    void startTheSystem() throws Exception {
        assumeTrue(RabbitNode.available(), "no Debian rabbitmq-server on this machine to run a node of our own");
        assumeTrue(TestStacks.missingJar(E2eStack.REPO_ROOT).isEmpty(), TestStacks.missingJar(E2eStack.REPO_ROOT)
                .orElse(""));
        Path dir = Files.createDirectories(E2eStack.REPO_ROOT.resolve("e2e-tests/target/e2e-data/rabbit-"
                + UUID.randomUUID().toString().substring(0, 8)));
        rabbit = RabbitNode.onLoopback(dir).start();
        e2e = E2eStack.startInfrastructure(Map.of(), Map.of("RABBITMQ_HOST", rabbit.host(),
                "RABBITMQ_PORT", Integer.toString(rabbit.port()), "T2I_EMBEDDED", "s3"));
        Map<String, ServiceKind> instances = new LinkedHashMap<>();
        instances.put("storage-adapter", ServiceKind.STORAGE_ADAPTER);
        instances.put("generator", ServiceKind.GENERATOR);
        instances.put("gateway", ServiceKind.GATEWAY);
        services = e2e.start(instances);
        generatorProcess = services.get(1);
        gatewayProcess = services.get(2);
        gateway = e2e.client(gatewayProcess);
    }

    @AfterAll
    void stopTheSystem() {
        if (e2e != null) {
            e2e.close();
        }
        if (rabbit != null) {
            rabbit.close();
        }
    }

    @Test
    void servicesRideOutACleanStopAndAKill9OfTheBroker() throws Exception {
        // A clean stop first: the services' quorum queues were declared moments ago, and this RabbitMQ loses a
        // freshly declared quorum queue's registration on SIGKILL (see RabbitNode); a clean restart writes it.
        long stopped = System.nanoTime();
        rabbit.stop();
        awaitReadiness(false, gatewayProcess, generatorProcess);
        rabbit.start();
        awaitReadiness(true, gatewayProcess, generatorProcess);
        System.out.printf("[broker-outage] clean stop: services ready again %d ms after the stop%n",
                millisSince(stopped));
        String beforeStop = awaitSucceeded(gateway.submit(job(20)).get("id").asText());

        // A long job running and a second one waiting in the queue behind it when the broker dies.
        String running = gateway.submit(longJob()).get("id").asText();
        awaitStatus(running, "running");
        String queued = gateway.submit(job(20)).get("id").asText();
        assertEquals("queued", gateway.get(queued).get("status").asText());

        Map<ServiceProcess, Long> logOffsets = logSizes();
        long killed = System.nanoTime();
        rabbit.kill9();

        // During the outage.
        awaitReadiness(false, gatewayProcess, generatorProcess);
        long readinessDown = millisSince(killed);
        HttpResponse<String> refused = submitRaw(job(20));
        assertRefusedNamingTheBroker(refused);
        assertEquals(200, gateway.getText("/generated-images/" + queued).statusCode(), "a read works");
        assertEquals(200, gateway.getText("/generated-images?limit=5").statusCode(), "the list works");
        assertEquals(200, gateway.getText("/generated-images/" + beforeStop + "/url").statusCode(),
                "a finished job's URLs are signed");
        HttpResponse<String> refusedAgain = submitRaw(job(20));
        assertRefusedNamingTheBroker(refusedAgain);
        sleepUntil(killed, OUTAGE);

        // After it.
        long restarted = System.nanoTime();
        rabbit.restart();
        long brokerUp = millisSince(restarted);
        awaitReadiness(true, gatewayProcess, generatorProcess);
        long servicesReady = millisSince(restarted);
        String afterRestart = null;
        long firstAccepted = -1;
        while (afterRestart == null && System.nanoTime() - restarted < RECOVERY_LIMIT.toNanos()) {
            HttpResponse<String> response = submitRaw(job(20));
            if (response.statusCode() == 201 || response.statusCode() == 202) {
                afterRestart = GatewayClient.json(response.body()).get("id").asText();
                firstAccepted = millisSince(restarted);
            } else {
                assertRefusedNamingTheBroker(response);
                Thread.sleep(250);
            }
        }
        assertTrue(afterRestart != null, "no submission accepted within " + RECOVERY_LIMIT);
        awaitSucceeded(afterRestart);
        long firstFinished = millisSince(restarted);
        assertDownloadable(afterRestart);
        awaitSucceeded(queued);
        awaitSucceeded(running);
        // The gateway stores a job before it publishes it: a refused one keeps its row, failed, and the 503 names it.
        String refusedId = refusedJobId(refused);
        assertTrue(refusedId != null, "the 503 names the job it refused: " + refused.body());
        assertEquals("failed", gateway.get(refusedId).get("status").asText(),
                "the refused submission's row is failed, not queued");

        Map<ServiceProcess, long[]> lines = linesSince(logOffsets);
        System.out.printf("[broker-outage] kill -9 for %d s: readiness DOWN after %d ms; after the restart: broker "
                        + "accepting connections in %d ms, gateway and generator ready in %d ms, first submission "
                        + "accepted in %d ms, first new job succeeded in %d ms%n", OUTAGE.toSeconds(), readinessDown,
                brokerUp, servicesReady, firstAccepted, firstFinished);
        lines.forEach((service, counts) -> System.out.printf(
                "[broker-outage] %s: %d log lines, %d WARN/ERROR during the outage and recovery%n", service.name(),
                counts[0], counts[1]));
        lines.forEach((service, counts) -> assertTrue(counts[1] < MAX_PROBLEM_LINES_PER_OUTAGE,
                service.name() + " logged " + counts[1] + " WARN/ERROR lines for one outage; see "
                        + service.logFile()));
        for (ServiceProcess service : services) {
            assertTrue(service.isAlive(), service.name() + " survived the outage without a restart");
        }
    }

    /**
     * The API's most steps, two images at a time: several seconds of work for the tiny model. Not a large size: at
     * 1024² the tiny model's attention took the generator to 20 GB and the kernel's OOM killer.
     */
    private static Map<String, Object> longJob() {
        return Map.of("prompt", "a lighthouse in a storm", "num_steps", 150, "width", 256, "height", 256,
                "num_images", 2, "seed", 7);
    }

    private static Map<String, Object> job(int steps) {
        return Map.of("prompt", "a lighthouse in a storm", "num_steps", steps, "width", 256, "height", 256,
                "seed", 7);
    }

    private HttpResponse<String> submitRaw(Map<String, Object> request) throws Exception {
        HttpRequest post = gateway.request("/generated-images").timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json").header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(request)))
                .build();
        return http.send(post, HttpResponse.BodyHandlers.ofString());
    }

    private static void assertRefusedNamingTheBroker(HttpResponse<String> response) {
        assertEquals(503, response.statusCode(), "a submission during the outage: " + response.body());
        assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("application/problem+json"),
                response.headers().toString());
        assertTrue(response.headers().firstValue("Retry-After").isPresent(), "Retry-After: " + response.headers());
        String detail = GatewayClient.json(response.body()).path("detail").asText().toLowerCase();
        assertTrue(detail.contains("broker") || detail.contains("rabbitmq"), "detail names the broker: " + detail);
    }

    /** The job id a 503 names, if any. */
    private static String refusedJobId(HttpResponse<String> response) {
        JsonNode body = GatewayClient.json(response.body());
        if (body.hasNonNull("job_id")) {
            return body.get("job_id").asText();
        }
        Matcher matcher = JOB_ID.matcher(body.path("detail").asText());
        return matcher.find() ? matcher.group() : null;
    }

    private void assertDownloadable(String id) throws Exception {
        JsonNode urls = gateway.signedUrls(id);
        URI url = URI.create(urls.path("images").get(0).path("url").asText());
        HttpResponse<byte[]> image = http.send(HttpRequest.newBuilder(url).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, image.statusCode(), "GET " + url);
        assertTrue(image.body().length > 8, "an image");
    }

    private String awaitSucceeded(String id) throws Exception {
        JsonNode record = awaitTerminal(id);
        assertEquals("succeeded", record.path("status").asText(), "job " + id + ": " + record);
        return id;
    }

    private JsonNode awaitTerminal(String id) throws Exception {
        long deadline = System.nanoTime() + RECOVERY_LIMIT.toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode record = gateway.get(id);
            if (TERMINAL.contains(record.path("status").asText())) {
                return record;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("job " + id + " did not finish within " + RECOVERY_LIMIT + ": " + gateway.get(id));
    }

    private void awaitStatus(String id, String status) throws Exception {
        long deadline = System.nanoTime() + RECOVERY_LIMIT.toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode record = gateway.get(id);
            if (status.equals(record.path("status").asText())) {
                return;
            }
            assertFalse(TERMINAL.contains(record.path("status").asText()), "job " + id + " ended early: " + record);
            Thread.sleep(100);
        }
        throw new AssertionError("job " + id + " never became " + status);
    }

    /** Waits until every service's {@code /q/health/ready} says UP (200) or DOWN (503). */
    private void awaitReadiness(boolean up, ServiceProcess... processes) throws Exception {
        long deadline = System.nanoTime() + RECOVERY_LIMIT.toNanos();
        for (ServiceProcess process : processes) {
            int wanted = up ? 200 : 503;
            int last = -1;
            while (System.nanoTime() < deadline) {
                last = readiness(process);
                if (last == wanted) {
                    break;
                }
                Thread.sleep(100);
            }
            assertEquals(wanted, last, process.name() + " readiness " + (up ? "UP" : "DOWN"));
        }
    }

    private int readiness(ServiceProcess process) throws InterruptedException {
        try {
            return http.send(HttpRequest.newBuilder(process.managementUri().resolve("/q/health/ready"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        }
    }

    private Map<ServiceProcess, Long> logSizes() throws IOException {
        Map<ServiceProcess, Long> sizes = new LinkedHashMap<>();
        for (ServiceProcess service : services) {
            sizes.put(service, Files.size(service.logFile()));
        }
        return sizes;
    }

    /** Per service: the lines logged since the offsets, and how many of them are WARN or ERROR. */
    private static Map<ServiceProcess, long[]> linesSince(Map<ServiceProcess, Long> offsets) throws IOException {
        Map<ServiceProcess, long[]> counts = new LinkedHashMap<>();
        for (Map.Entry<ServiceProcess, Long> entry : offsets.entrySet()) {
            byte[] all = Files.readAllBytes(entry.getKey().logFile());
            String since = new String(all, entry.getValue().intValue(), all.length - entry.getValue().intValue(),
                    java.nio.charset.StandardCharsets.UTF_8);
            List<String> lines = since.lines().toList();
            long problems = lines.stream().filter(l -> l.contains(" WARN ") || l.contains(" ERROR ")).count();
            lines.stream().filter(l -> l.contains(" WARN ") || l.contains(" ERROR "))
                    .forEach(l -> System.out.println("[broker-outage] " + entry.getKey().name() + "| " + l));
            counts.put(entry.getKey(), new long[] {lines.size(), problems});
        }
        return counts;
    }

    private static long millisSince(long nanos) {
        return (System.nanoTime() - nanos) / 1_000_000;
    }

    private static void sleepUntil(long startNanos, Duration after) throws InterruptedException {
        long left = startNanos + after.toNanos() - System.nanoTime();
        if (left > 0) {
            Thread.sleep(left / 1_000_000);
        }
    }
}
