package io.texttoimage.generator.service;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.texttoimage.pipeline.onnx.OrtGraphCache;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A first start on a node type with an empty graph cache: the worker becomes ready from graphs it optimises itself
 * (storing them during the load would double a first start), then stores them once it has been idle, so that the
 * next start loads them ready-made (docs/cold-start.md).
 */
@QuarkusTest
@QuarkusTestResource(value = OptimisedGraphStoreTest.EmptyGraphCache.class, restrictToAnnotatedClass = true)
class OptimisedGraphStoreTest {

    /** The worker's usual test setup with a graph cache of its own, empty at the start. */
    public static class EmptyGraphCache extends GeneratorTestResource {
        static final Path CACHE = Path.of("target", "ort-graph-cache-" + UUID.randomUUID()).toAbsolutePath();

        @Override
        public Map<String, String> start() {
            Map<String, String> config = new HashMap<>(super.start());
            config.put("t2i.generator.ort.graph-cache.dir", CACHE.toString());
            config.put("t2i.generator.ort.graph-cache.store-when-idle-for", "PT1S");
            return config;
        }

        @Override
        public void stop() {
            super.stop();
            if (Files.exists(CACHE)) {
                try (Stream<Path> walk = Files.walk(CACHE)) {
                    walk.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
                } catch (IOException e) {
                    System.err.println("Could not remove " + CACHE + ": " + e);
                }
            }
        }
    }

    private static final Duration TIMEOUT = Duration.ofSeconds(120);

    @Inject
    ModelService model;

    @Test
    void aFirstStartServesFromItsOwnGraphsAndStoresThemOnceIdle() throws Exception {
        BrokerHarness.awaitTrue("the model is loaded", TIMEOUT, () -> model.state() == ModelService.State.READY);
        String summary = model.generator().loadSummary();
        for (String component : List.of("text_encoder", "unet", "vae_decoder")) {
            assertTrue(summary.contains(component + "=") && summary.contains("(OPTIMISED_TO_STORE)"),
                    "optimised at load, not taken from the empty cache: " + summary);
        }

        BrokerHarness.awaitTrue("the three optimised graphs are stored", TIMEOUT, () -> storedEntries().size() == 3);
        for (Path entry : storedEntries()) {
            assertTrue(Files.isRegularFile(entry.resolve(OrtGraphCache.MODEL_FILE)), entry + " holds its graph");
            assertTrue(Files.isRegularFile(entry.resolve(OrtGraphCache.KEY_FILE)), entry + " holds its key");
        }
        BrokerHarness.awaitTrue("the store is done", TIMEOUT, () -> !model.generator().hasOptimisedGraphsToStore());
        assertFalse(model.generator().hasOptimisedGraphsToStore());
        assertEquals(List.of(), model.generator().storeOptimisedGraphs(), "a second store has nothing to do");
    }

    /** Complete entries only: a folder still being written is hidden under a {@code .writing-} name. */
    private static List<Path> storedEntries() {
        if (!Files.isDirectory(EmptyGraphCache.CACHE)) {
            return List.of();
        }
        try (Stream<Path> entries = Files.list(EmptyGraphCache.CACHE)) {
            return entries.filter(p -> !p.getFileName().toString().startsWith(".")).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
