package io.texttoimage.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;

import io.texttoimage.cli.Api;
import io.texttoimage.cli.CliException;
import io.texttoimage.localstack.RequestCheck;
import io.texttoimage.localstack.client.ApiException;
import io.texttoimage.localstack.client.GatewayClient;
import io.texttoimage.localstack.client.SseEvent;
import io.texttoimage.localstack.service.ServiceKind;
import io.texttoimage.localstack.service.ServiceProcess;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The web-queue-worker flow across real processes: one storage adapter, two generators and two gateway replicas
 * (each its own JVM from quarkus-run.jar) on one broker, one database and one S3Proxy, with the tiny model.
 * The last test kills a generator, so it runs last.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DistributedFlowE2eTest {
    private static final Set<String> TERMINAL = Set.of("succeeded", "failed", "cancelled");
    /** Where the helpers keep each SSE event's name next to its data. */
    private static final String EVENT_NAME = "sse_event";
    private static final Duration JOB_TIMEOUT = Duration.ofMinutes(5);
    /** Steps of the jobs whose live progress is asserted: see the first test. */
    private static final int LIVE_STEPS = 100;

    private E2eStack e2e;
    private JobBus bus;
    private GatewayClient gatewayA;
    private GatewayClient gatewayB;
    private final Map<String, ServiceProcess> generators = new LinkedHashMap<>();

    @BeforeAll
    void startTheSystem() throws Exception {
        e2e = E2eStack.startInfrastructure();
        List<ServiceProcess> started = e2e.startTwoGeneratorsAndTwoGateways();
        for (ServiceProcess process : started) {
            if (process.kind() == ServiceKind.GENERATOR) {
                generators.put(process.name(), process);
            }
        }
        gatewayA = e2e.client(started.get(3));
        gatewayB = e2e.client(started.get(4));
        bus = JobBus.listen(e2e.amqpConnectionFactory(), e2e.prefixInUse());
    }

    @AfterAll
    void stopTheSystem() throws Exception {
        if (bus != null) {
            bus.close();
        }
        if (e2e != null) {
            e2e.close();
            for (ServiceProcess process : e2e.stack.services()) {
                assertFalse(process.isAlive(), process.name() + " (pid " + process.pid() + ") outlived the stack");
            }
        }
    }

    @Test
    @Order(1)
    void submitStreamsIncreasingStepsAndTheSignedUrlServesTheCommandLinesPixels() throws Exception {
        // Long enough (100 steps at 256x256: several seconds even on an idle machine) that the stream is connected
        // long before the last steps: with 25 steps a loaded machine sometimes connected the client only after the
        // job was nearly done, and then fewer than two live progress events were left to stream.
        Map<String, Object> request = Map.of("prompt", "a photo of an astronaut riding a horse on mars",
                "num_steps", LIVE_STEPS, "guidance_scale", 7.5, "width", 256, "height", 256, "scheduler", "pndm", "seed", 1234);
        JsonNode record = gatewayA.submit(request);
        String id = record.get("id").asText();
        assertEquals(1234, record.get("seed").asLong());

        List<JsonNode> events = followToTheEnd(gatewayA, id);
        assertEquals("succeeded", last(events).path("status").asText(), "events: " + events);
        assertStepsStrictlyIncrease(events);
        long progressEvents = events.stream().filter(e -> "progress".equals(e.path(EVENT_NAME).asText())).count();
        assertTrue(progressEvents >= 2, "only " + progressEvents + " live progress events: " + events);

        JsonNode finished = awaitTerminal(gatewayA, id); // the record follows the stream a moment later
        assertEquals("succeeded", finished.get("status").asText());
        assertEquals(1, finished.get("image_keys").size());
        assertEquals(1, finished.get("attempts").asInt(), "ran once: " + finished);

        byte[] served = downloadOnlyImage(gatewayA, id);
        byte[] reference = commandLinePng(request);
        Pngs.assertSamePixels(Pngs.decode(reference), Pngs.decode(served));
    }

    @Test
    @Order(2)
    void aReplicaStreamsTheEventsOfAJobSubmittedOnTheOtherReplica() throws Exception {
        JsonNode record = gatewayA.submit(Map.of("prompt", "a lighthouse at dusk", "num_steps", LIVE_STEPS, "width", 256,
                "height", 256, "scheduler", "ddim"));
        String id = record.get("id").asText();
        CompletableFuture<List<JsonNode>> onB = CompletableFuture.supplyAsync(() -> followQuietly(gatewayB, id));
        CompletableFuture<List<JsonNode>> onA = CompletableFuture.supplyAsync(() -> followQuietly(gatewayA, id));

        List<JsonNode> seenByB = onB.get(JOB_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        List<JsonNode> seenByA = onA.get(JOB_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        assertEquals("succeeded", last(seenByB).path("status").asText(), "replica B: " + seenByB);
        assertEquals("succeeded", last(seenByA).path("status").asText(), "replica A: " + seenByA);
        assertStepsStrictlyIncrease(seenByB);
        long liveOnB = seenByB.stream().filter(e -> "progress".equals(e.path(EVENT_NAME).asText())).count();
        assertTrue(liveOnB >= 2, "replica B saw only " + liveOnB + " live progress events: " + seenByB);
    }

    @Test
    @Order(3)
    void bothGeneratorsTakeJobsFromTheSharedQueue() throws Exception {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            GatewayClient gateway = i % 2 == 0 ? gatewayA : gatewayB;
            ids.add(gateway.submit(Map.of("prompt", "job " + i, "num_steps", 20, "width", 128, "height", 128)).get("id").asText());
        }
        for (String id : ids) {
            assertEquals("succeeded", awaitTerminal(gatewayA, id).get("status").asText());
        }
        Set<String> workers = new HashSet<>();
        for (String id : ids) {
            JsonNode running = bus.await(JobBus.event(id, "RUNNING"), Duration.ofSeconds(10), "RUNNING of " + id);
            workers.add(generatorNameOf(running.path("worker_id").asText()));
        }
        assertEquals(Set.of("generator-a", "generator-b"), workers, "jobs went to " + workers);
    }

    @Test
    @Order(4)
    void cancellingARunningJobEndsItCancelled() throws Exception {
        JsonNode record = gatewayA.submit(Map.of("prompt", "a very long job", "num_steps", 150, "width", 256, "height", 256));
        String id = record.get("id").asText();
        CompletableFuture<List<JsonNode>> stream = CompletableFuture.supplyAsync(() -> followQuietly(gatewayB, id));
        bus.await(e -> JobBus.event(id, "PROGRESS").test(e) && e.path("step").asInt() >= 2, JOB_TIMEOUT, "progress of " + id);

        ApiException notReady = assertThrows(ApiException.class, () -> gatewayB.signedUrls(id));
        assertEquals(409, notReady.status(), "signed URL of a running job");

        JsonNode accepted = gatewayA.cancel(id);
        assertTrue(accepted.path("cancel_requested").asBoolean(), "202 body: " + accepted);

        List<JsonNode> events = stream.get(JOB_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        JsonNode end = last(events);
        assertEquals("cancelled", end.path("status").asText(), "events: " + events);
        // The record is written by the shared persist consumer, a moment after the live fan-out: poll it.
        JsonNode finished = awaitTerminal(gatewayB, id);
        assertEquals("cancelled", finished.get("status").asText());
        assertTrue(finished.path("current_step").asInt() < finished.path("total_steps").asInt(),
                "the job ran to the end instead of stopping: " + finished);
        ApiException again = assertThrows(ApiException.class, () -> gatewayA.cancel(id));
        assertEquals(409, again.status(), "cancelling a finished job");
    }

    @Test
    @Order(5)
    void aJobOfAWorkerKilledMidJobIsRedeliveredAndSucceedsOnTheOther() throws Exception {
        JsonNode record = gatewayB.submit(Map.of("prompt", "survives a crash", "num_steps", 40, "width", 256, "height", 256));
        String id = record.get("id").asText();
        JsonNode progress = bus.await(e -> JobBus.event(id, "PROGRESS").test(e) && e.path("step").asInt() >= 2, JOB_TIMEOUT,
                "progress of " + id);
        String victim = generatorNameOf(progress.path("worker_id").asText());
        ServiceProcess victimProcess = generators.get(victim);
        victimProcess.kill(); // SIGKILL: no shutdown hook, no requeue by the worker itself
        assertFalse(victimProcess.isAlive());

        JsonNode finished = awaitTerminal(gatewayA, id);
        assertEquals("succeeded", finished.get("status").asText(), "record: " + finished);
        Set<String> runners = new HashSet<>();
        for (JsonNode event : bus.of(id)) {
            if ("RUNNING".equalsIgnoreCase(event.path("type").asText())) {
                runners.add(generatorNameOf(event.path("worker_id").asText()));
            }
        }
        assertEquals(2, runners.size(), "the job should have run on " + victim + " and then on the other: " + runners);
        assertEquals(2, finished.get("attempts").asInt(), "the re-run is recorded as the second attempt: " + finished);
        byte[] png = downloadOnlyImage(gatewayB, id);
        assertEquals(256, Pngs.decode(png).getWidth());
    }

    @Test
    @Order(6)
    void unknownIdsAreProblemsNotErrors() {
        ApiException unknown = assertThrows(ApiException.class, () -> gatewayB.get("00000000-0000-0000-0000-000000000000"));
        assertEquals(404, unknown.status());
        ApiException invalid = assertThrows(ApiException.class, () -> gatewayA.submit(Map.of("prompt", " ", "num_steps", 0)));
        assertEquals(400, invalid.status());
        assertTrue(invalid.getMessage().contains("prompt"), invalid.getMessage());
    }

    /**
     * The launcher checks a request before it starts the stack (RequestCheck, a copy of the gateway's rules): for
     * the same inputs it must name the same fields with the same messages as the real gateway's 400.
     */
    @Test
    @Order(7)
    void theLaunchersRequestCheckAnswersAsTheGatewayDoes() {
        String tooLong = "x".repeat(2001);
        List<Api.GenerateRequest> invalid = List.of(
                new Api.GenerateRequest("a fox", null, 0, null, 100, null, null, null, null),
                new Api.GenerateRequest("a fox", null, 151, 30.0, 1024, 63, null, null, null),
                new Api.GenerateRequest("a fox", null, 150, -0.5, 32, 2048, null, null, null),
                new Api.GenerateRequest("a fox", null, 1, 30.5, 1088, 1000, null, null, null),
                new Api.GenerateRequest(" ", tooLong, null, 0.0, 64, 64, "k_euler", -1L, 0),
                new Api.GenerateRequest(tooLong, null, null, null, null, null, "dpmpp-2m-karras", 0L, 5),
                new Api.GenerateRequest("a fox", null, -3, null, null, null, "unipc ", null, 4));
        io.texttoimage.cli.GatewayClient gateway = e2e.cliClient(gatewayA.baseUri());
        for (Api.GenerateRequest request : invalid) {
            List<Api.FieldError> launcher = RequestCheck.violations(request);
            assertFalse(launcher.isEmpty(), "the launcher accepts " + request);
            CliException rejected = assertThrows(CliException.class, () -> gateway.submit(request), "accepted: " + request);
            assertEquals(sorted(rejected.problem().errors()), launcher, "for " + request);
        }
    }

    @Test
    @Order(8)
    void t2iWatchGetListAndDownloadWorkOnARealJob() throws Exception {
        String url = gatewayB.baseUri().toString();
        List<String> submitted = LauncherE2eTest.t2i("--api-key", e2e.stack.apiKey(), "--url", url, "--json", "generate", "a cli fox", "--steps", "12",
                "--width", "128", "--height", "128", "--no-wait");
        assertEquals("0", submitted.get(0), submitted.toString());
        String id = Api.JSON.readTree(submitted.get(1)).get("id").asText();

        List<String> watch = LauncherE2eTest.t2i("--api-key", e2e.stack.apiKey(), "--url", url, "--json", "watch", id);
        assertEquals("0", watch.get(0), watch.toString());
        List<String> lines = watch.get(1).strip().lines().toList();
        long previous = -1;
        for (String event : lines.subList(0, lines.size() - 1)) {
            long sequence = Api.JSON.readTree(event).get("sequence").asLong();
            assertTrue(sequence > previous, "t2i watch printed an event twice or out of order: " + watch.get(1));
            previous = sequence;
        }
        assertEquals("succeeded", Api.JSON.readTree(lines.get(lines.size() - 1)).get("status").asText(), watch.get(1));

        List<String> get = LauncherE2eTest.t2i("--api-key", e2e.stack.apiKey(), "--url", url, "get", id);
        assertTrue(get.get(1).contains("size:      128x128"), get.get(1));
        assertTrue(get.get(1).matches("(?s).*scheduler: [a-z0-9-]+\n.*"), "the worker's scheduler, not a default: " + get.get(1));

        Path out = Files.createTempDirectory(Path.of("target"), "t2i-download-");
        List<String> download = LauncherE2eTest.t2i("--api-key", e2e.stack.apiKey(), "--url", url, "download", id, "--out", out.toString());
        assertEquals("0", download.get(0), download.toString());
        assertEquals(128, Pngs.decode(Files.readAllBytes(out.resolve(id + "-0.png"))).getWidth());

        List<String> list = LauncherE2eTest.t2i("--api-key", e2e.stack.apiKey(), "--url", url, "list", "--size", "50");
        assertEquals("0", list.get(0), list.toString());
        List<String> rows = list.get(1).lines().toList();
        int created = rows.get(0).indexOf("CREATED");
        int prompt = rows.get(0).indexOf("PROMPT");
        String row = rows.stream().filter(line -> line.startsWith(id)).findFirst().orElseThrow(() -> new AssertionError(list.get(1)));
        assertTrue(row.substring(created, prompt).matches("\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ +"), row);
        assertEquals("a cli fox", row.substring(prompt), "the prompt column starts under PROMPT: " + list.get(1));
    }

    @Test
    @Order(9)
    void t2iCancelStopsARealRunningJobAndWatchEndsCancelled() throws Exception {
        String url = gatewayA.baseUri().toString();
        JsonNode record = gatewayA.submit(Map.of("prompt", "cancelled from the cli", "num_steps", 150, "width", 256, "height", 256));
        String id = record.get("id").asText();
        bus.await(e -> JobBus.event(id, "PROGRESS").test(e) && e.path("step").asInt() >= 2, JOB_TIMEOUT, "progress of " + id);

        List<String> cancel = LauncherE2eTest.t2i("--api-key", e2e.stack.apiKey(), "--url", url, "cancel", id);
        assertEquals("0", cancel.get(0), cancel.toString());
        assertTrue(cancel.get(1).contains("cancel requested for " + id), cancel.get(1));

        List<String> watch = LauncherE2eTest.t2i("--api-key", e2e.stack.apiKey(), "--url", url, "watch", id);
        assertEquals("1", watch.get(0), "a cancelled job is exit code 1: " + watch);
        assertTrue(watch.get(1).contains(id + " cancelled"), watch.get(1));

        List<String> again = LauncherE2eTest.t2i("--api-key", e2e.stack.apiKey(), "--url", url, "cancel", id);
        assertEquals("1", again.get(0), "cancelling a finished job is a 409, exit code 1: " + again);
        List<String> download = LauncherE2eTest.t2i("--api-key", e2e.stack.apiKey(), "--url", url, "download", id);
        assertEquals("1", download.get(0), "a cancelled job has no images: " + download);
        List<String> unknown = LauncherE2eTest.t2i("--api-key", e2e.stack.apiKey(), "--url", url, "get", "00000000-0000-0000-0000-000000000000");
        assertEquals("4", unknown.get(0), unknown.toString());
    }

    /**
     * What the first test does not vary: a non-default scheduler and guidance, and two images. Each served image has
     * the pixels the pipeline makes for the same request (a scheduler, guidance, seed or image index lost on the way
     * changes them) and the parameters text the generator writes; the URLs live as long as the gateways are set to.
     */
    @Test
    @Order(10)
    void aDdimJobOfTwoImagesServesThePipelinesPixelsItsParametersAndTheConfiguredExpiry() throws Exception {
        Map<String, Object> request = Map.of("prompt", "two red apples on a wooden table", "num_steps", 12,
                "guidance_scale", 3.0, "width", 128, "height", 128, "scheduler", "ddim", "seed", 4321, "num_images", 2);
        String id = gatewayA.submit(request).get("id").asText();
        JsonNode finished = awaitTerminal(gatewayA, id);
        assertEquals("succeeded", finished.get("status").asText(), "record: " + finished);
        assertEquals(List.of("images/" + id + "/0.png", "images/" + id + "/1.png"),
                Api.JSON.convertValue(finished.get("image_keys"), List.class));

        Instant asked = Instant.now();
        JsonNode urls = gatewayB.signedUrls(id);
        Instant answered = Instant.now();
        Instant expiresAt = Instant.parse(urls.path("expires_at").asText());
        assertTrue(!expiresAt.isBefore(asked.plus(E2eStack.SIGNED_URL_EXPIRY).minusSeconds(5))
                && !expiresAt.isAfter(answered.plus(E2eStack.SIGNED_URL_EXPIRY).plusSeconds(5)),
                "expires_at " + expiresAt + " is not " + E2eStack.SIGNED_URL_EXPIRY + " after " + asked);
        assertEquals(2, urls.path("images").size(), "urls: " + urls);
        List<byte[]> served = new ArrayList<>();
        for (int index = 0; index < 2; index++) {
            JsonNode image = urls.path("images").get(index);
            assertEquals(index, image.path("index").asInt(), "urls: " + urls);
            assertEquals("images/" + id + "/" + index + ".png", image.path("key").asText(), "urls: " + urls);
            URI url = URI.create(image.path("url").asText());
            assertEquals(String.valueOf(E2eStack.SIGNED_URL_EXPIRY.toSeconds()), queryParameter(url, "X-Amz-Expires"),
                    "the signature's lifetime: " + url);
            served.add(download(url));
        }
        assertThrows(AssertionError.class,
                () -> Pngs.assertSamePixels(Pngs.decode(served.get(0)), Pngs.decode(served.get(1))),
                "two images of one request are two different pictures");

        List<byte[]> reference = commandLinePngs(request);
        for (int index = 0; index < 2; index++) {
            Pngs.assertSamePixels(Pngs.decode(reference.get(index)), Pngs.decode(served.get(index)));
            String parameters = Pngs.textChunks(served.get(index)).get("parameters");
            assertTrue(parameters != null && parameters.startsWith("two red apples on a wooden table\n"
                    + "Steps: 12, Sampler: DDIM, CFG scale: 3.0, Seed: 4321, Size: 128x128"), "image " + index
                    + "'s parameters: " + parameters);
            assertEquals(Pngs.textChunks(reference.get(index)).get("parameters"), parameters,
                    "image " + index + "'s parameters, as the command line writes them");
        }
    }

    private static List<Api.FieldError> sorted(List<Api.FieldError> errors) {
        return errors.stream().sorted(java.util.Comparator.comparing(Api.FieldError::field)
                .thenComparing(Api.FieldError::message)).toList();
    }

    // --- helpers -----------------------------------------------------------------------------------------------

    /** Worker ids are "<instance>@<launcher pid>" (set by the launcher). */
    private static String generatorNameOf(String workerId) {
        assertTrue(workerId.contains("@"), "unexpected worker id " + workerId);
        return workerId.substring(0, workerId.indexOf('@'));
    }

    private static List<JsonNode> followToTheEnd(GatewayClient gateway, String id) throws IOException, InterruptedException {
        List<JsonNode> events = new ArrayList<>();
        SseEvent lastEvent = gateway.follow(id, null, event -> {
            if ("heartbeat".equals(event.event()) || "queue".equals(event.event())) {
                return true; // notices without a sequence: the place in line of a queued job
            }
            JsonNode data = GatewayClient.json(event.data());
            // The event name is the kind of event; data.status the job's status ("running" on progress events).
            if (!"progress".equals(event.event())) {
                assertEquals(event.event(), data.path("status").asText(), "SSE event name vs data.status");
            }
            ((com.fasterxml.jackson.databind.node.ObjectNode) data).put(EVENT_NAME, event.event());
            events.add(data);
            return !TERMINAL.contains(data.path("status").asText());
        });
        assertTrue(lastEvent != null, "the stream of " + id + " closed without any event");
        return events;
    }

    private static List<JsonNode> followQuietly(GatewayClient gateway, String id) {
        try {
            return followToTheEnd(gateway, id);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * Read-your-writes across replicas (issue 10, part 6): 50 jobs, each submitted on one replica and followed on the
     * other; the moment a stream delivers the terminal event, the client reads the record and the download links on
     * both replicas. None may lag: every read says succeeded and every /url answers 200.
     */
    @Test
    @Order(11)
    void recordsAndLinksAgreeWithTheTerminalEventOnBothReplicasAtOnce() throws Exception {
        int jobs = 50;
        List<String> lagging = java.util.Collections.synchronizedList(new ArrayList<>());
        List<CompletableFuture<String>> followed = new ArrayList<>();
        try (var threads = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < jobs; i++) {
                GatewayClient submitter = i % 2 == 0 ? gatewayA : gatewayB;
                GatewayClient follower = i % 2 == 0 ? gatewayB : gatewayA;
                String id = submitter.submit(Map.of("prompt", "read your own writes " + i, "num_steps", 2,
                        "width", 64, "height", 64, "seed", i)).get("id").asText();
                followed.add(CompletableFuture.supplyAsync(() -> followAndReadAtOnce(follower, id, lagging), threads));
            }
            for (CompletableFuture<String> end : followed) {
                assertEquals("succeeded", end.get(JOB_TIMEOUT.toSeconds(), TimeUnit.SECONDS));
            }
        }
        System.out.println("[e2e] read-your-writes: " + jobs + " jobs, " + (jobs * 4) + " reads right after the"
                + " terminal event on two replicas, " + lagging.size() + " lagging");
        assertEquals(List.of(), lagging, "reads that lagged behind the stream's terminal event");
    }

    /** Follows {@code id} on {@code follower}; at its terminal event, reads record and links on both replicas. */
    private String followAndReadAtOnce(GatewayClient follower, String id, List<String> lagging) {
        try {
            SseEvent end = follower.follow(id, null, event -> !TERMINAL.contains(event.event()));
            for (GatewayClient replica : List.of(gatewayA, gatewayB)) {
                String status = replica.get(id).path("status").asText();
                if (!status.equals(end.event())) {
                    lagging.add(id + ": " + replica.baseUri() + " says " + status + " after the stream said "
                            + end.event());
                }
                try {
                    replica.signedUrls(id);
                } catch (ApiException e) {
                    lagging.add(id + ": " + replica.baseUri() + " /url answered " + e.status() + " after "
                            + end.event());
                }
            }
            return end.event();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * After everything above: no service logged a prompt (they are user content, not logged at INFO) or any of the
     * secrets the stack handed out (S3 and database passwords, the storage-adapter token, the webhook secret).
     */
    @Test
    @Order(12)
    void noServiceLogShowsAPromptOrASecret() throws Exception {
        List<String> prompts = List.of("a photo of an astronaut riding a horse on mars", "a lighthouse at dusk",
                "two red apples on a wooden table", "survives a crash", "cancelled from the cli", "read your own writes");
        // Short values are well-known defaults (RabbitMQ's guest/guest), indistinguishable from user names in a log.
        List<String> secrets = e2e.stack.secretValues().stream().filter(v -> v.length() >= 12).toList();
        assertFalse(secrets.isEmpty(), "the stack handed out no secrets to look for");
        for (ServiceProcess process : e2e.stack.services()) {
            String log = Files.readString(process.logFile());
            assertTrue(log.length() > 1000, process.name() + " logged almost nothing: " + process.logFile());
            for (String prompt : prompts) {
                assertFalse(log.contains(prompt), process.name() + " logged the prompt '" + prompt + "': " + process.logFile());
            }
            for (String secret : secrets) {
                assertFalse(log.contains(secret), process.name() + " logged a secret (" + secret.length()
                        + " characters, starting " + secret.substring(0, 3) + "…): " + process.logFile());
            }
        }
    }

    private static void assertStepsStrictlyIncrease(List<JsonNode> events) {
        int previous = -1;
        long previousSequence = -1;
        for (JsonNode event : events) {
            if ("progress".equals(event.path(EVENT_NAME).asText())) {
                int step = event.path("step").asInt();
                assertTrue(step > previous, "step " + step + " after " + previous + " in " + events);
                previous = step;
            }
            long sequence = event.path("sequence").asLong();
            assertTrue(sequence > previousSequence, "sequence " + sequence + " after " + previousSequence + " in " + events);
            previousSequence = sequence;
        }
    }

    private static JsonNode last(List<JsonNode> events) {
        assertFalse(events.isEmpty(), "no events");
        return events.get(events.size() - 1);
    }

    private static JsonNode awaitTerminal(GatewayClient gateway, String id) throws Exception {
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

    private static byte[] downloadOnlyImage(GatewayClient gateway, String id) throws Exception {
        JsonNode urls = gateway.signedUrls(id);
        assertEquals(1, urls.path("images").size(), "urls: " + urls);
        return download(URI.create(urls.path("images").get(0).path("url").asText()));
    }

    /** A signed URL is fetched with a plain HttpClient: no credentials, as a browser would. */
    private static byte[] download(URI url) throws Exception {
        java.net.http.HttpResponse<byte[]> response = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(url).build(), java.net.http.HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, response.statusCode(), "GET " + url);
        return response.body();
    }

    private static String queryParameter(URI url, String name) {
        for (String pair : url.getRawQuery().split("&")) {
            if (pair.startsWith(name + "=")) {
                return java.net.URLDecoder.decode(pair.substring(name.length() + 1), java.nio.charset.StandardCharsets.UTF_8);
            }
        }
        throw new AssertionError("no " + name + " in " + url);
    }

    private static byte[] commandLinePng(Map<String, Object> request) throws Exception {
        return commandLinePngs(request).get(0);
    }

    /** The same parameters and seed through the standalone command line (bin/sd-generate): one PNG per image. */
    private static List<byte[]> commandLinePngs(Map<String, Object> request) throws Exception {
        return SdGenerate.pngs(E2eStack.REPO_ROOT, request, Path.of("target").toAbsolutePath());
    }
}
