package io.texttoimage.pipeline;

import io.texttoimage.pipeline.LoadReport.Source;
import io.texttoimage.pipeline.onnx.CpuFeatures;
import io.texttoimage.pipeline.onnx.OrtGraphCache;
import io.texttoimage.pipeline.onnx.OrtGraphCacheKey;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The optimised-graph cache on the tiny model: a second load reuses the stored graphs and draws the same image; a
 * changed model, another ONNX Runtime or CPU, damaged entries and an unwritable folder lead to a clean rebuild (or
 * a load without the cache), never to a failed load.
 */
class OrtGraphCacheTest {

    private static final List<String> COMPONENTS = List.of("text_encoder", "unet", "vae_decoder");
    private static final GenerationRequest REQUEST = new GenerationRequest("a red cube", null, 64, 64, 2, 7.5, "ddim",
            7L, 1, null);

    @TempDir
    Path temp;

    private Path model() throws IOException {
        Path target = temp.resolve("model");
        Path source = ReferenceData.LAYOUT_FLOAT_TIMESTEP;
        try (Stream<Path> files = Files.walk(source)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                Path copy = target.resolve(source.relativize(file).toString());
                if (Files.isDirectory(file)) {
                    Files.createDirectories(copy);
                } else {
                    Files.copy(file, copy, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        return target;
    }

    private record Outcome(List<Source> sources, byte[] png, List<String> stored) {
    }

    /** Loads, generates, then stores what the load had to optimise itself, as the generator and sd-generate do. */
    private static Outcome load(Path model, Path cache) {
        try (StableDiffusionPipeline pipeline = StableDiffusionPipeline.load(model, OrtSettings.cpu().withGraphCache(cache))) {
            List<Source> sources = sources(pipeline);
            assertEquals(COMPONENTS, pipeline.loadReport().components().stream()
                    .map(LoadReport.ComponentLoad::component).toList());
            byte[] png = pipeline.generate(REQUEST, null, null).images().getFirst().png();
            return new Outcome(sources, png, pipeline.storeOptimisedGraphs());
        }
    }

    private static List<Source> sources(StableDiffusionPipeline pipeline) {
        return pipeline.loadReport().components().stream().map(LoadReport.ComponentLoad::source).toList();
    }

    private static List<Source> all(Source source) {
        return List.of(source, source, source);
    }

    private static Path entryOf(Path cache, String component) throws IOException {
        try (Stream<Path> entries = Files.list(cache)) {
            List<Path> found = entries.filter(p -> p.getFileName().toString().startsWith(component + "-")).toList();
            assertEquals(1, found.size(), "one entry for " + component + ": " + found);
            return found.getFirst();
        }
    }

    @Test
    void secondLoadUsesTheStoredGraphsAndDrawsTheSameImage() throws IOException {
        Path model = model();
        Path cache = temp.resolve("cache");
        Outcome first = load(model, cache);
        Outcome second = load(model, cache);
        Outcome uncached = load(model, null);

        assertEquals(all(Source.OPTIMISED_TO_STORE), first.sources());
        assertEquals(COMPONENTS, first.stored());
        assertEquals(all(Source.CACHE), second.sources());
        assertEquals(List.of(), second.stored(), "nothing left to store");
        assertEquals(all(Source.OPTIMISED), uncached.sources());
        assertArrayEquals(uncached.png(), first.png());
        assertArrayEquals(uncached.png(), second.png(), "the stored graph computes what the optimised source does");
        for (String component : COMPONENTS) {
            Path entry = entryOf(cache, component);
            assertTrue(Files.isRegularFile(entry.resolve(OrtGraphCache.MODEL_FILE)));
            assertTrue(Files.readString(entry.resolve(OrtGraphCache.KEY_FILE)).contains("component=" + component));
        }
        try (Stream<Path> leftovers = Files.list(cache)) {
            assertEquals(3, leftovers.count(), "no temporary folders are left behind");
        }
    }

    @Test
    void theLoadStoresNothingItselfSoAFirstStartIsNoSlowerThanWithoutACache() throws IOException {
        Path model = model();
        Path cache = temp.resolve("cache");
        try (StableDiffusionPipeline first = StableDiffusionPipeline.load(model, OrtSettings.cpu().withGraphCache(cache))) {
            assertEquals(all(Source.OPTIMISED_TO_STORE), sources(first));
            assertTrue(first.hasOptimisedGraphsToStore());
            assertFalse(Files.exists(cache) && Files.list(cache).findAny().isPresent(),
                    "nothing is written while the sessions are created");
            try (StableDiffusionPipeline second = StableDiffusionPipeline.load(model,
                    OrtSettings.cpu().withGraphCache(cache))) {
                assertEquals(COMPONENTS, second.storeOptimisedGraphs(), "a second process stores them first");
            }
            assertEquals(List.of(), first.storeOptimisedGraphs(), "already stored by the other: nothing to do");
            assertFalse(first.hasOptimisedGraphsToStore());
            assertEquals(List.of(), first.storeOptimisedGraphs(), "a second call does nothing");
        }
        assertEquals(all(Source.CACHE), load(model, cache).sources());
    }

    @Test
    void changedModelFileIsOptimisedAgainAndReplacesTheOldEntry() throws IOException {
        Path model = model();
        Path cache = temp.resolve("cache");
        load(model, cache);
        Path oldUnet = entryOf(cache, "unet");
        // An unknown protobuf field (number 99, varint 1) at the end: another file, still a valid ONNX model.
        Files.write(model.resolve("unet/model.onnx"), new byte[] {(byte) 0x98, 0x06, 0x01}, StandardOpenOption.APPEND);

        Outcome changed = load(model, cache);

        assertEquals(List.of(Source.CACHE, Source.OPTIMISED_TO_STORE, Source.CACHE), changed.sources());
        assertNotEquals(oldUnet, entryOf(cache, "unet"), "the entry of the old graph is gone, the new one stored");
        assertEquals(all(Source.CACHE), load(model, cache).sources());
    }

    @Test
    void changedWeightFileBesideTheGraphIsAnotherKey() throws IOException {
        Path model = model();
        OrtGraphCacheKey before = key(model, "1.23.2", cpu("avx2 fma"));
        Path weights = model.resolve("unet/weights.pb");
        Files.write(weights, new byte[16]);
        OrtGraphCacheKey after = key(model, "1.23.2", cpu("avx2 fma"));
        assertNotEquals(before.entryName(), after.entryName());
        assertEquals(before.groupName(), after.groupName());
    }

    @Test
    void otherOnnxRuntimeVersionOrCpuFeaturesFindNothing() throws IOException {
        Path model = model();
        Path cache = temp.resolve("cache");
        load(model, cache);
        String version = OrtBaseline.onnxRuntimeVersion();
        OrtGraphCache graphs = new OrtGraphCache(cache);
        OrtGraphCacheKey stored = key(model, version, CpuFeatures.ofThisMachine());
        assertTrue(graphs.find(stored).isPresent(), "the key the pipeline stored under");

        assertEquals(Optional.empty(), graphs.find(key(model, version + ".1", CpuFeatures.ofThisMachine())));
        assertEquals(Optional.empty(), graphs.find(key(model, version, cpu("sse2"))));
        assertNotEquals(key(model, version, cpu("avx2 avx512f")).entryName(), key(model, version, cpu("avx2")).entryName());
        assertEquals(key(model, version, cpu("fma avx2")).entryName(), key(model, version, cpu("avx2 fma")).entryName(),
                "flag order does not matter");
    }

    @Test
    void corruptGraphInTheCacheIsRebuiltWithoutFailingTheLoad() throws IOException {
        Path model = model();
        Path cache = temp.resolve("cache");
        load(model, cache);
        Path stored = entryOf(cache, "unet").resolve(OrtGraphCache.MODEL_FILE);
        byte[] garbage = new byte[(int) Files.size(stored)];
        Arrays.fill(garbage, (byte) 0x5a);
        Files.write(stored, garbage); // same size: only ONNX Runtime can tell

        Outcome repaired = load(model, cache);

        assertEquals(List.of(Source.CACHE, Source.OPTIMISED_TO_STORE, Source.CACHE), repaired.sources());
        assertArrayEquals(load(model, null).png(), repaired.png());
        assertEquals(all(Source.CACHE), load(model, cache).sources());
    }

    @Test
    void truncatedWeightsOrMissingKeyFileAreStale() throws IOException {
        Path model = model();
        Path cache = temp.resolve("cache");
        load(model, cache);
        Path unet = entryOf(cache, "unet");
        try (var channel = Files.newByteChannel(unet.resolve(OrtGraphCache.WEIGHTS_FILE), StandardOpenOption.WRITE)) {
            channel.truncate(channel.size() / 2);
        }
        Files.delete(entryOf(cache, "vae_decoder").resolve(OrtGraphCache.KEY_FILE));

        assertEquals(List.of(Source.CACHE, Source.OPTIMISED_TO_STORE, Source.OPTIMISED_TO_STORE),
                load(model, cache).sources());
    }

    @Test
    void unwritableCacheFolderLoadsWithoutTheCache() throws IOException {
        Path model = model();
        Path notAFolder = Files.writeString(temp.resolve("cache"), "a file where the folder should be");

        Outcome outcome = load(model, notAFolder);

        assertEquals(all(Source.OPTIMISED_TO_STORE), outcome.sources());
        assertEquals(List.of(), outcome.stored(), "storing fails quietly");
        assertEquals("a file where the folder should be", Files.readString(notAFolder));
    }

    @Test
    void twoWritersOfOneKeyLeaveOneCompleteEntry() throws IOException {
        Path model = model();
        OrtGraphCache graphs = new OrtGraphCache(temp.resolve("cache"));
        OrtGraphCacheKey key = key(model, "1.23.2", cpu("avx2"));
        OrtGraphCache.Pending first = graphs.begin(key).orElseThrow();
        OrtGraphCache.Pending second = graphs.begin(key).orElseThrow();
        Files.writeString(first.model(), "graph written by the first");
        Files.writeString(second.model(), "graph written by the second");

        assertTrue(first.commit());
        assertFalse(second.commit(), "the second writer finds the entry in place and drops its own");

        Path found = graphs.find(key).orElseThrow();
        assertEquals("graph written by the first", Files.readString(found));
        try (Stream<Path> entries = Files.list(graphs.root())) {
            assertEquals(1, entries.count(), "the second writer's temporary folder is removed");
        }
    }

    @Test
    void anAbandonedWriteIsRemovedByTheNextWriterButAFreshOneIsLeftAlone() throws IOException {
        Path model = model();
        OrtGraphCache graphs = new OrtGraphCache(temp.resolve("cache"));
        OrtGraphCacheKey key = key(model, "1.23.2", cpu("avx2"));
        Path abandoned = Files.createDirectories(graphs.root().resolve(".writing-" + key.entryName() + "-dead"));
        Files.writeString(abandoned.resolve(OrtGraphCache.WEIGHTS_FILE), "half a graph");
        Files.setLastModifiedTime(abandoned, java.nio.file.attribute.FileTime.from(
                java.time.Instant.now().minus(java.time.Duration.ofHours(2))));
        OrtGraphCache.Pending fresh = graphs.begin(key).orElseThrow();

        graphs.begin(key).orElseThrow().abandon();

        assertFalse(Files.exists(abandoned), "a write left for two hours is gone");
        assertTrue(Files.isDirectory(fresh.model().getParent()), "a write in progress is not touched");
    }

    @Test
    void cpuFlagsAreReadFromCpuinfo() throws IOException {
        Path cpuinfo = Files.writeString(temp.resolve("cpuinfo"),
                "processor\t: 0\nmodel name\t: Some CPU\nflags\t\t: sse2 avx2 fma avx2\n\nprocessor\t: 1\nflags\t: x\n");
        assertEquals("avx2 fma sse2", CpuFeatures.read(cpuinfo, "amd64").flags());
        assertEquals("unknown", CpuFeatures.read(temp.resolve("missing"), "amd64").flags());
    }

    private static CpuFeatures cpu(String flags) {
        return new CpuFeatures("amd64", CpuFeatures.parseFlags("flags : " + flags));
    }

    private static OrtGraphCacheKey key(Path model, String version, CpuFeatures cpu) {
        return OrtGraphCacheKey.of("unet", model.resolve("unet/model.onnx"), version, "CPU", "all", cpu);
    }
}
