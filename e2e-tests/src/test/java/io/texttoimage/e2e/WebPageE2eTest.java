package io.texttoimage.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.abort;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.texttoimage.localstack.service.ServiceKind;
import io.texttoimage.localstack.service.ServiceProcess;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
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
 * one generator (so a job can be made to wait in the queue) and one gateway. The script runs once; each of its
 * steps is one test here. A step that needs API this gateway does not have yet is skipped with its reason.
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

    private E2eStack e2e;
    private int exitCode;
    private JsonNode result;

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
        String gateway = started.get(2).baseUri().toString();

        Files.createDirectories(SCREENSHOTS);
        Files.deleteIfExists(RESULT);
        Process script = new ProcessBuilder("node", "web-page-test.mjs", "--gateway", gateway,
                "--screenshots", SCREENSHOTS.toString(), "--result", RESULT.toString(), "--chromium", CHROMIUM.toString())
                .directory(BROWSER_TESTS.toFile()).redirectErrorStream(true).start();
        Thread echo = Thread.ofVirtual().start(() -> echo(script));
        if (!script.waitFor(SCRIPT_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
            script.destroyForcibly();
            fail("the browser script did not finish within " + SCRIPT_TIMEOUT);
        }
        echo.join(5000);
        exitCode = script.exitValue();
        assertTrue(Files.isRegularFile(RESULT), "the browser script (exit " + exitCode + ") wrote no result");
        result = new ObjectMapper().readTree(RESULT.toFile());
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
        tests.add(DynamicTest.dynamicTest("the browser script ran every step", () -> {
            assertTrue(result.path("completed").asBoolean(), "stopped half-way (exit " + exitCode + "): " + result);
            boolean anyFailed = false;
            for (JsonNode step : result.path("steps")) {
                anyFailed |= "failed".equals(step.path("status").asText());
            }
            assertEquals(anyFailed ? 1 : 0, exitCode, "exit code of the script");
        }));
        for (JsonNode step : result.path("steps")) {
            String name = step.path("name").asText();
            tests.add(DynamicTest.dynamicTest(name, () -> {
                String detail = step.path("detail").asText();
                switch (step.path("status").asText()) {
                    case "passed" -> System.out.println("[browser] " + name + ": " + detail);
                    case "unsupported" -> abort("not testable on this gateway yet: " + detail);
                    default -> fail(name + ": " + detail + " (screenshots in " + SCREENSHOTS + ")");
                }
            }));
        }
        return tests.stream();
    }

    private static void echo(Process script) {
        try (BufferedReader lines = new BufferedReader(
                new InputStreamReader(script.getInputStream(), StandardCharsets.UTF_8))) {
            lines.lines().forEach(line -> System.out.println("[node] " + line));
        } catch (IOException e) {
            System.out.println("[node] output lost: " + e);
        }
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
