package io.texttoimage.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * What of deploy/smoke-test.sh can run without a cluster: it parses, refuses a machine without kubectl with exit 2
 * before building anything, and renders the smoke overlay with its build's unique tag on every t2i/* image. The
 * run on a real cluster is not part of CI (no cluster here); see docs/deployment.md, "Smoke test".
 */
class SmokeTestScriptTest {
    static final Path SCRIPT = Manifests.deployRoot().resolve("smoke-test.sh");

    record Result(int code, String out, String err) {
    }

    static Result bash(Map<String, String> env, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("/bin/bash"));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().putAll(env);
        Path err = Files.createTempFile("smoke-test", ".err");
        Process process = builder.redirectError(err.toFile()).start();
        process.getOutputStream().close();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the script did not finish");
        String stderr = Files.readString(err);
        Files.delete(err);
        return new Result(process.exitValue(), out, stderr);
    }

    @Test
    void theScriptParses() throws Exception {
        Result result = bash(Map.of(), "-n", SCRIPT.toString());
        assertEquals(0, result.code(), result.err());
        assertTrue(Files.isExecutable(SCRIPT), SCRIPT + " is not executable");
    }

    @Test
    void withoutKubectlItStopsWithExit2BeforeBuildingAnything() throws Exception {
        Result result = bash(Map.of("PATH", "/nonexistent"), SCRIPT.toString());
        assertEquals(2, result.code(), result.err());
        assertEquals("smoke-test: kubectl is not on the PATH: install kubectl 1.27 or newer", result.err().strip());
    }

    @Test
    void itAppliesTheSmokeOverlayWithItsOwnTagOnEveryImageItLoads() throws Exception {
        String tag = "smoke-20261201120000";
        Result result = bash(Map.of(), SCRIPT.toString(), "--render", tag);
        assertEquals(0, result.code(), result.err());
        Manifests manifests = Manifests.parse("smoke-test.sh --render", result.out());
        int ours = 0;
        for (var template : manifests.podTemplates().entrySet()) {
            for (Container container : ManifestRenderingTest.containers(template.getValue().getSpec())) {
                if (ImageReferenceTest.ours(container.getImage())) {
                    ours++;
                    assertTrue(container.getImage().endsWith(":" + tag), template.getKey() + " runs " + container.getImage());
                    assertEquals("Never", container.getImagePullPolicy(), template.getKey() + ": loaded, not pulled");
                }
            }
        }
        assertEquals(4, ours, "gateway, storage adapter, generator and its init container");
        // the tiny model is copied in by the script: nothing is downloaded from the Hub
        assertEquals(Boolean.TRUE, manifests.get(Job.class, "model-download").getSpec().getSuspend());
        String script = Files.readString(SCRIPT);
        assertTrue(script.contains("testdata/sd-reference/model"));
        assertTrue(Files.isRegularFile(Manifests.repositoryRoot().resolve("testdata/sd-reference/model/model_index.json")));
        for (String image : List.of("gateway", "storage-adapter", "generator-cpu")) {
            assertTrue(script.contains(image), "the script does not build " + image);
        }
    }
}
