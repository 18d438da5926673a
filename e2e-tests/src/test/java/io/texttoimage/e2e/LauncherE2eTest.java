package io.texttoimage.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;

import io.texttoimage.cli.Api;
import io.texttoimage.cli.T2i;
import io.texttoimage.localstack.infra.Ports;
import io.texttoimage.localstack.service.ServiceKind;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * README command 1 as a new user meets it: the packaged launcher as its own process, the real services, the
 * machine's PostgreSQL/RabbitMQ (or the embedded ones), the tiny model. Each test has its own data folder.
 */
class LauncherE2eTest {
    private static final String TINY_MODEL = E2eStack.TINY_MODEL.toString();
    private static final Duration START = Duration.ofMinutes(6);

    @BeforeAll
    static void servicesArePackaged() {
        assumeTrue(Files.isRegularFile(LauncherProcess.LAUNCHER), LauncherProcess.LAUNCHER + " is missing: run `./mvnw verify`");
        for (ServiceKind kind : ServiceKind.values()) {
            assumeTrue(Files.isRegularFile(kind.runJar(E2eStack.REPO_ROOT)), kind.runJar(E2eStack.REPO_ROOT) + " is missing");
        }
    }

    @Test
    void argumentsTheGatewayWouldRejectAreRefusedBeforeAnythingStarts() throws Exception {
        try (LauncherProcess launcher = LauncherProcess.start(LauncherProcess.freshDataDir(), Map.of(),
                "a lighthouse", "--model", TINY_MODEL, "--width", "100", "--steps", "0")) {
            assertEquals(2, launcher.awaitExit(Duration.ofMinutes(1)), launcher.output());
            assertTrue(launcher.output().contains("invalid request, nothing was started: num_steps (--steps) must be"
                    + " greater than or equal to 1; width (--width) must be a multiple of 64."), launcher.output());
            assertFalse(launcher.output().contains("starting the local stack"), launcher.output());
        }
    }

    @Test
    void versionPrintsTheProjectVersion() throws Exception {
        try (LauncherProcess launcher = LauncherProcess.start(LauncherProcess.freshDataDir(), Map.of(), "--version")) {
            assertEquals(0, launcher.awaitExit(Duration.ofMinutes(1)), launcher.output());
            assertTrue(launcher.output().strip().matches("text-to-image \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?"), launcher.output());
        }
    }

    /**
     * Offline with the default model: the generator's readiness check says "model failed" within a second of its
     * start, and the launcher must end there (it used to wait out T2I_GENERATOR_READY_MINUTES, an hour).
     */
    @Test
    void anUnreachableHubEndsTheStartAtOnceWithTheGeneratorsSentenceAndTheTinyModel() throws Exception {
        Path data = LauncherProcess.freshDataDir();
        Path emptyHubCache = Files.createDirectories(data.resolve("hf-home"));
        Map<String, String> offline = Map.of("HF_ENDPOINT", "http://127.0.0.1:" + Ports.free(), "HF_HOME", emptyHubCache.toString(),
                "T2I_GENERATOR_READY_MINUTES", "60");
        try (LauncherProcess launcher = LauncherProcess.start(data, offline, "a lighthouse")) {
            try {
                launcher.awaitLine(line -> line.contains("started gateway"), START);
                long started = System.nanoTime();
                assertEquals(3, launcher.awaitExit(START), launcher.output());
                Duration took = Duration.ofNanos(System.nanoTime() - started);
                String output = launcher.output();
                assertTrue(took.compareTo(Duration.ofMinutes(3)) < 0, "took " + took + ":\n" + output);
                assertTrue(output.contains("the stack could not start: the generator cannot load the model: Cannot reach the"
                        + " Hugging Face Hub at http://127.0.0.1:"), output);
                assertTrue(output.contains("--model testdata/sd-reference/model"), "no hint at the tiny model:\n" + output);
                assertFalse(output.contains("{\"status\"") || output.contains("SRHCK"), "health JSON shown:\n" + output);
                assertFalse(output.contains("\tat "), "a stack trace:\n" + output);
                assertTrue(output.endsWith("stopped"), output);
            } finally {
                launcher.dropSharedNames();
            }
        }
    }

    @Test
    void stoppingItWhileItStartsIsNotReportedAsAFailure() throws Exception {
        try (LauncherProcess launcher = LauncherProcess.start(LauncherProcess.freshDataDir(), Map.of(),
                "a lighthouse", "--model", TINY_MODEL)) {
            try {
                launcher.awaitLine(line -> line.contains("started gateway"), START);
                launcher.terminate();
                assertEquals(143, launcher.awaitExit(Duration.ofMinutes(2)), launcher.output());
                String output = launcher.output();
                assertFalse(output.contains("could not start") || output.contains("exited with code"), output);
                assertFalse(output.contains("\tat ") || output.contains("Exception"), output);
                assertTrue(output.endsWith("stopped"), output);
            } finally {
                launcher.dropSharedNames();
            }
        }
    }

    /**
     * Ctrl-C during a job, then a restart on the same data folder: the embedded broker kept the job on disk, the
     * generator runs it again and it succeeds; `t2i watch` and `t2i download` work on it as on any job.
     */
    @Test
    void aJobStoppedMidwayRunsToTheEndAfterARestart() throws Exception {
        Path data = LauncherProcess.freshDataDir();
        Map<String, String> embeddedBroker = Map.of("T2I_EMBEDDED", "rabbitmq");
        String id;
        String keptKey;
        LauncherProcess first = LauncherProcess.start(data, embeddedBroker, "a lighthouse", "--model", TINY_MODEL,
                "--steps", "60", "--width", "256", "--height", "256", "--scheduler", "ddim");
        try (first) {
            id = first.jobId(START);
            // A key made by hand in this run must still verify in the next (the secret stays with the data folder).
            String adminKey = Files.readString(first.keyDir().resolve("admin-key")).strip();
            List<String> created = t2i("--api-key", adminKey, "--url", first.gatewayUri().toString(),
                    "admin", "keys", "create", "--name", "kept-across-restarts", "--owner", "local-run");
            assertEquals("0", created.get(0), "admin keys create: " + created);
            keptKey = created.get(1).strip();
            first.awaitLine(line -> line.matches(".*step ([2-9]|\\d\\d+)/60.*"), Duration.ofMinutes(5));
            first.terminate();
            assertEquals(143, first.awaitExit(Duration.ofMinutes(2)), first.output());
            String output = first.output();
            assertTrue(output.contains("job " + id + " was not finished: it stays queued"), output);
            assertFalse(output.contains("--url") || output.contains("Cannot reach the gateway"), output);
            assertFalse(output.contains("Shutdown in progress") || output.contains("\tat "), output);
        } catch (AssertionError | Exception e) {
            first.dropSharedNames();
            throw e;
        }
        // The same data folder, so the same database and names: dropped only after the second run.

        LauncherProcess second = LauncherProcess.start(data, embeddedBroker, "--keep-running", "--model", TINY_MODEL);
        try (second) {
            URI gateway = second.gatewayUri();
            second.awaitLine(line -> line.contains("the stack keeps running"), START);
            assertKeyFilesAreTheOwnersOnly(second);
            String key = second.apiKey();
            List<String> refused = t2i("--url", gateway.toString(), "get", id);
            assertEquals("2", refused.get(0), "no key: " + refused);
            assertTrue(refused.get(2).contains("The gateway wants an API key: pass --api-key or set T2I_API_KEY"), refused.get(2));
            List<String> watch = t2i("--api-key", key, "--url", gateway.toString(), "--json", "watch", id);
            assertEquals("0", watch.get(0), "t2i watch after the restart: " + watch);
            JsonNode record = Api.JSON.readTree(watch.get(1).strip().lines().reduce((a, b) -> b).orElseThrow());
            assertEquals("succeeded", record.get("status").asText(), watch.get(1));

            List<String> withKeptKey = t2i("--api-key", keptKey, "--url", gateway.toString(), "--json", "get", id);
            assertEquals("0", withKeptKey.get(0), "the key made in the first run, after the restart: " + withKeptKey);

            Path out = data.resolve("downloaded");
            List<String> download = t2i("--api-key", key, "--url", gateway.toString(), "download", id, "--out", out.toString());
            assertEquals("0", download.get(0), download.toString());
            assertEquals(256, Pngs.decode(Files.readAllBytes(out.resolve(id + "-0.png"))).getWidth());
            second.terminate();
            assertEquals(143, second.awaitExit(Duration.ofMinutes(2)), second.output());
        } finally {
            second.dropSharedNames();
        }
    }

    /**
     * The launcher wrote its admin key and API key to T2I_KEY_DIR, owner-only, said where, and printed neither; the
     * admin key manages keys and the run's key does not.
     */
    private static void assertKeyFilesAreTheOwnersOnly(LauncherProcess launcher) throws Exception {
        Path dir = launcher.keyDir();
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
        for (String name : List.of("api-key", "admin-key")) {
            Path file = dir.resolve(name);
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)), name);
            String key = Files.readString(file).strip();
            assertTrue(key.startsWith("t2i_") && key.length() >= 32, name);
            assertFalse(launcher.output().contains(key), "the launcher printed its " + name);
        }
        assertTrue(launcher.output().contains(LauncherProcess.KEY_LINE + dir.resolve("api-key")
                + " (bin/t2i uses it; the admin key is in " + dir.resolve("admin-key") + ")"), launcher.output());
        String url = launcher.gatewayUri().toString();
        assertTrue(launcher.output().contains("web page:   " + url + "/ (its API key field wants the key in "
                + dir.resolve("api-key") + ")"), launcher.output());
        String admin = Files.readString(dir.resolve("admin-key")).strip();
        List<String> keys = t2i("--api-key", admin, "--url", url, "--json", "admin", "keys", "list");
        assertEquals("0", keys.get(0), keys.toString());
        assertTrue(keys.get(1).contains("\"name\":\"local-run\""), keys.get(1));
        List<String> notAdmin = t2i("--api-key", launcher.apiKey(), "--url", url, "admin", "keys", "list");
        assertEquals("2", notAdmin.get(0), notAdmin.toString());
        assertTrue(notAdmin.get(2).contains("This needs an admin key"), notAdmin.get(2));
    }

    /** Exit code, standard output, standard error of one t2i command line. */
    static List<String> t2i(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = T2i.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new ArrayList<>(List.of(Integer.toString(code), out.toString(), err.toString()));
    }
}
