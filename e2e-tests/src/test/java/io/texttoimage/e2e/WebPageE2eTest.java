package io.texttoimage.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.texttoimage.localstack.service.ServiceKind;
import io.texttoimage.localstack.service.ServiceProcess;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestInstance;

/**
 * The gateway's web page in a real browser: Debian's headless Chromium driven by playwright-core
 * ({@code e2e-tests/browser/web-page-test.mjs}) against the real stack with the tiny model — one storage adapter,
 * one generator (so a job can be made to wait in the queue) and one gateway. The script runs twice — once against
 * the working stack, once after the generator is killed and then the gateway — and each of its steps is one test
 * here.
 * Screenshots: {@code e2e-tests/target/screenshots/}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WebPageE2eTest {
    static final Path BROWSER_TESTS = E2eStack.REPO_ROOT.resolve("e2e-tests/browser");
    static final Path CHROMIUM = Path.of(System.getenv().getOrDefault("T2I_CHROMIUM", "/usr/bin/chromium"));
    static final Path SCREENSHOTS = E2eStack.REPO_ROOT.resolve("e2e-tests/target/screenshots");
    static final Path RESULT = E2eStack.REPO_ROOT.resolve("e2e-tests/target/web-page-result.json");
    /** Generous for a loaded 2-core machine: the script's jobs together run about 500 tiny-model steps. */
    static final Duration SCRIPT_TIMEOUT = Duration.ofMinutes(20);

    static final Path OUTAGE_RESULT = E2eStack.REPO_ROOT.resolve("e2e-tests/target/web-page-outage-result.json");
    /** What the script prints in its outage phase when it wants the gateway gone; it waits for a line on stdin. */
    static final String STOP_THE_GATEWAY = "[browser] waiting: stop the gateway now";

    private E2eStack e2e;
    private final List<Run> runs = new ArrayList<>();

    /** One run of the script: its phase, exit code and result file. */
    record Run(String phase, int exitCode, JsonNode result) {
    }

    @BeforeAll
    void runTheBrowserScriptAgainstTheStack() throws Exception {
        assumeTrue(Files.isExecutable(CHROMIUM), CHROMIUM + " is missing: the browser tests need Debian's chromium"
                + " (apt-get install chromium; .ci/run installs it) or T2I_CHROMIUM naming another Chromium");
        assumeTrue(nodeVersion() != null, "node is not on the PATH: the browser tests are a Node.js script");
        assumeTrue(Files.isDirectory(BROWSER_TESTS.resolve("node_modules/playwright-core")),
                "e2e-tests/browser/node_modules is missing: run `npm ci` there (.ci/run does; needs the npm registry once)");

        e2e = E2eStack.startInfrastructure();
        Map<String, ServiceKind> instances = new LinkedHashMap<>();
        instances.put("storage-adapter", ServiceKind.STORAGE_ADAPTER);
        instances.put("generator", ServiceKind.GENERATOR);
        instances.put("gateway", ServiceKind.GATEWAY);
        List<ServiceProcess> started = e2e.start(instances);
        ServiceProcess generator = started.get(1);
        ServiceProcess gateway = started.get(2);
        Files.createDirectories(SCREENSHOTS);
        try (Stream<Path> old = Files.list(SCREENSHOTS)) { // a failed-<step>.png of an earlier run would mislead
            for (Path png : old.filter(path -> path.toString().endsWith(".png")).toList()) {
                Files.delete(png);
            }
        }

        // Ready is not heard: the gateway answers before the generator's first heartbeat reaches it (up to one
        // 5 s interval), and a page loaded in between has no previews checkbox to tick.
        awaitWorkersAvailable(gateway, true);
        runs.add(runScript("main", gateway, RESULT, null));

        // The outage phase: no generator (the page says so once the gateway has stopped hearing its heartbeat),
        // then no gateway at all.
        generator.kill();
        awaitWorkersAvailable(gateway, false);
        runs.add(runScript("outage", gateway, OUTAGE_RESULT, gateway::kill));
    }

    @AfterAll
    void stopTheStack() throws Exception {
        if (e2e != null) {
            e2e.close();
        }
    }

    @TestFactory
    Stream<DynamicTest> eachBrowserStep() {
        List<DynamicTest> tests = new ArrayList<>();
        for (Run run : runs) {
            tests.add(DynamicTest.dynamicTest("the " + run.phase() + " phase ran every step", () -> {
                assertTrue(run.result().path("completed").asBoolean(),
                        "stopped half-way (exit " + run.exitCode() + "): " + run.result());
                boolean anyFailed = false;
                for (JsonNode step : run.result().path("steps")) {
                    anyFailed |= "failed".equals(step.path("status").asText());
                }
                assertEquals(anyFailed ? 1 : 0, run.exitCode(), "exit code of the script");
            }));
            for (JsonNode step : run.result().path("steps")) {
                tests.add(browserStep(step));
            }
        }
        return tests.stream();
    }

    private static DynamicTest browserStep(JsonNode step) {
        String name = step.path("name").asText();
        return DynamicTest.dynamicTest(name, () -> {
            String detail = step.path("detail").asText();
            switch (step.path("status").asText()) {
                case "passed" -> System.out.println("[browser] " + name + ": " + detail);
                default -> fail(name + ": " + detail + " (screenshots in " + SCREENSHOTS + ")");
            }
        });
    }

    /**
     * Runs the script's {@code phase} against the gateway; {@code onStopRequest} (if any) runs when the script
     * asks for the gateway to be stopped, and the script is then told to go on.
     */
    private Run runScript(String phase, ServiceProcess gateway, Path result, ThrowingAction onStopRequest)
            throws Exception {
        Files.deleteIfExists(result);
        // The key in the environment, not on the command line (ps shows that); the script types it into the page.
        ProcessBuilder builder = new ProcessBuilder("node", "web-page-test.mjs", "--phase", phase,
                "--gateway", gateway.baseUri().toString(), "--screenshots", SCREENSHOTS.toString(),
                "--result", result.toString(), "--chromium", CHROMIUM.toString())
                .directory(BROWSER_TESTS.toFile()).redirectErrorStream(true);
        builder.environment().put("T2I_API_KEY", e2e.stack.apiKey());
        Process script = builder.start();
        Thread echo = Thread.ofVirtual().start(() -> follow(script, onStopRequest));
        if (!script.waitFor(SCRIPT_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
            script.destroyForcibly();
            fail("the browser script (" + phase + ") did not finish within " + SCRIPT_TIMEOUT);
        }
        echo.join(5000);
        int exitCode = script.exitValue();
        assertTrue(Files.isRegularFile(result), "the browser script (" + phase + ", exit " + exitCode
                + ") wrote no result");
        return new Run(phase, exitCode, new ObjectMapper().readTree(result.toFile()));
    }

    interface ThrowingAction {
        void run() throws Exception;
    }

    private static void follow(Process script, ThrowingAction onStopRequest) {
        try (BufferedReader lines = new BufferedReader(
                new InputStreamReader(script.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = lines.readLine()) != null) {
                System.out.println("[node] " + line);
                if (line.startsWith(STOP_THE_GATEWAY) && onStopRequest != null) {
                    onStopRequest.run();
                    script.getOutputStream().write('\n');
                    script.getOutputStream().flush();
                }
            }
        } catch (Exception e) {
            System.out.println("[node] output lost: " + e);
        }
    }

    /**
     * Waits until the gateway's capabilities say {@code available} about workers: the first heartbeat it hears after
     * a start, or three missed heartbeats (5 s each) after a kill.
     */
    private void awaitWorkersAvailable(ServiceProcess gateway, boolean available) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpRequest capabilities = e2e.client(gateway).request("/capabilities").build();
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (System.nanoTime() < deadline) {
            String body = http.send(capabilities, HttpResponse.BodyHandlers.ofString()).body();
            JsonNode answer = new ObjectMapper().readTree(body);
            boolean workers = answer.path("workers_available").asBoolean(!available);
            if (workers == available && (!available || answer.path("previews_available").asBoolean())) {
                return;
            }
            Thread.sleep(500);
        }
        fail(available ? "the gateway has not heard the generator (with previews) 90 s after both were ready"
                : "the gateway still counts the killed generator as alive after 90 s");
    }

    private static String nodeVersion() {
        try {
            Process node = new ProcessBuilder("node", "--version").redirectErrorStream(true).start();
            String version = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            return node.waitFor(30, TimeUnit.SECONDS) && node.exitValue() == 0 ? version : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
