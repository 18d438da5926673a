package io.texttoimage.hub;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.texttoimage.pipeline.GenerationRequest;
import io.texttoimage.pipeline.OrtSettings;
import io.texttoimage.pipeline.StableDiffusionPipeline;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The whole resolution against a loopback imitation of the Hub (never the real one): which files end up where, cache
 * hits, a run that stopped midway, offline and unreachable. The parts have their own tests: {@link HubApiClientTest},
 * {@link BlobDownloaderTest}, {@link RepoCacheTest}, {@link BlobLockTest}, {@link ModelReferenceTest}.
 */
class HubModelResolverTest {

    static final Path TINY_MODEL = FakeHub.TINY_MODEL;
    static final String REPO = FakeHub.REPO;
    static final String COMMIT = FakeHub.COMMIT;

    /** What the pipeline needs from the tiny model: no vae_encoder, safety checker, README or fp16 variant. */
    static final Set<String> PIPELINE_FILES = Set.of(
            "model_index.json", "scheduler/scheduler_config.json",
            "tokenizer/merges.txt", "tokenizer/special_tokens_map.json", "tokenizer/tokenizer_config.json",
            "tokenizer/vocab.json",
            "text_encoder/config.json", "text_encoder/model.onnx",
            "unet/config.json", "unet/model.onnx", "unet/weights.pb",
            "vae_decoder/config.json", "vae_decoder/model.onnx");

    @TempDir
    Path cacheDir;
    FakeHub hub;

    @BeforeEach
    void startHub() throws IOException {
        hub = new FakeHub(TINY_MODEL, REPO, COMMIT);
    }

    @AfterEach
    void stopHub() {
        hub.close();
    }

    HubModelResolver resolver() {
        return new HubModelResolver(new HubSettings(hub.endpoint(), cacheDir, null, false));
    }

    Path repoFolder() {
        return cacheDir.resolve("models--test-org--tiny-sd-onnx");
    }

    long fileDownloads() {
        return hub.requests().stream()
                .filter(r -> r.method().equals("GET") && (r.path().startsWith("/cdn/") || r.path().contains("/resolve/")))
                .count();
    }

    @Test
    void downloadsOnlyThePipelineFilesIntoTheHubCacheLayout() throws IOException {
        AtomicLong lastReported = new AtomicLong();
        Path snapshot = resolver().resolve(REPO, null, (file, done, total, rate) -> {
            assertTrue(done <= total, "progress beyond the file size");
            assertTrue(rate > 0, "rate must be positive once bytes arrived");
            lastReported.set(done);
        });

        assertEquals(repoFolder().resolve("snapshots").resolve(COMMIT), snapshot);
        assertEquals(new TreeSet<>(PIPELINE_FILES), new TreeSet<>(RepoCache.filesIn(snapshot)));
        assertEquals(COMMIT, Files.readString(repoFolder().resolve("refs/main")));
        assertTrue(lastReported.get() > 0, "progress was reported");
        for (String file : PIPELINE_FILES) {
            Path pointer = snapshot.resolve(file);
            assertTrue(Files.isSymbolicLink(pointer), file + " is a symlink like huggingface_hub makes");
            Path target = Files.readSymbolicLink(pointer);
            assertFalse(target.isAbsolute(), "relative link so the cache can move: " + target);
            byte[] expected = hub.content(file);
            String blobName = FakeHub.isLfs(file) ? FakeHub.sha256(expected) : FakeHub.gitBlobId(expected);
            assertEquals(repoFolder().resolve("blobs").resolve(blobName), pointer.getParent().resolve(target).normalize());
            assertArrayEquals(expected, Files.readAllBytes(pointer), file);
        }
        try (Stream<Path> blobs = Files.list(repoFolder().resolve("blobs"))) {
            assertTrue(blobs.noneMatch(p -> p.toString().endsWith(".incomplete")), "no partial files left");
        }
        // ORT reads the UNet's external data (weights.pb) next to the symlinked model.onnx.
        try (OrtEnvironment env = OrtEnvironment.getEnvironment();
             OrtSession unet = env.createSession(snapshot.resolve("unet/model.onnx").toString(), new OrtSession.SessionOptions())) {
            assertEquals(Set.of("sample", "timestep", "encoder_hidden_states"), unet.getInputNames());
        } catch (ai.onnxruntime.OrtException e) {
            throw new AssertionError("downloaded UNet does not load: " + e.getMessage(), e);
        }
    }

    @Test
    void downloadedSnapshotGeneratesTheSameImageAsTheSourceFolder() throws IOException {
        Path snapshot = resolver().resolve(REPO, null, null);
        GenerationRequest request = GenerationRequest.of("a lighthouse at dusk", 2, 7.5, 42);
        // pixels, not PNG bytes: the PNG's text chunk names the model folder, which differs
        float[] fromSource;
        float[] fromSnapshot;
        try (StableDiffusionPipeline pipeline = StableDiffusionPipeline.load(TINY_MODEL, OrtSettings.cpu())) {
            fromSource = pipeline.generate(request, (step, total, elapsed) -> { }, () -> false).images().get(0).pixelsHwc();
        }
        try (StableDiffusionPipeline pipeline = StableDiffusionPipeline.load(snapshot, OrtSettings.cpu())) {
            fromSnapshot = pipeline.generate(request, (step, total, elapsed) -> { }, () -> false).images().get(0).pixelsHwc();
        }
        assertEquals(64 * 64 * 3, fromSource.length);
        assertArrayEquals(fromSource, fromSnapshot, "the cached snapshot is the same model as the source folder");
    }

    @Test
    void secondResolveIsACacheHit() throws IOException {
        Path first = resolver().resolve(REPO, "main", null);
        hub.clearRequests();

        Path second = resolver().resolve(REPO, "main", null);
        assertEquals(first, second);
        assertEquals(0, fileDownloads(), "no file is downloaded again: " + hub.requests());

        hub.clearRequests();
        Path pinned = resolver().resolve(REPO, COMMIT, null);
        assertEquals(first, pinned);
        assertEquals(List.of(), hub.requests(), "a cached commit needs no request at all");
    }

    @Test
    void newCommitWithTheSameFilesReusesTheBlobs() throws IOException {
        Path first = resolver().resolve(REPO, "main", null);
        String next = "fedcba9876543210fedcba9876543210fedcba98";
        hub.pushCommit(next);
        hub.clearRequests();

        Path second = resolver().resolve(REPO, "main", null);

        assertEquals(repoFolder().resolve("snapshots").resolve(next), second);
        assertEquals(next, Files.readString(repoFolder().resolve("refs/main")), "the branch ref moves on");
        assertEquals(0, fileDownloads(), "same contents, same blobs: only linked: " + hub.requests());
        assertEquals(new TreeSet<>(RepoCache.filesIn(first)),
                new TreeSet<>(RepoCache.filesIn(second)));
        assertTrue(Files.isDirectory(first), "the old snapshot stays for whoever pinned it");
    }

    @Test
    void aRunThatStoppedMidwayIsNotMistakenForACompleteSnapshot() throws IOException {
        hub.corrupt("vae_decoder/model.onnx");
        assertThrows(HubException.class, () -> resolver().resolve(REPO, COMMIT, null));
        Path snapshot = repoFolder().resolve("snapshots").resolve(COMMIT);
        assertTrue(Files.isRegularFile(snapshot.resolve("unet/model.onnx")), "earlier files are kept");
        assertFalse(Files.exists(snapshot.resolve("model_index.json")), "model_index.json comes last");
        assertFalse(Files.exists(snapshot.resolve("vae_decoder/model.onnx")), "a corrupt download is not linked");

        hub.repair("vae_decoder/model.onnx");
        hub.clearRequests();
        Path resolved = resolver().resolve(REPO, COMMIT, null);

        assertEquals(new TreeSet<>(PIPELINE_FILES), new TreeSet<>(RepoCache.filesIn(resolved)));
        assertEquals(2, fileDownloads(), "only the two missing files: " + hub.requests());
    }

    @Test
    void theTokenGoesToTheHubOnlyNeverToTheCdn() throws IOException {
        hub.requireToken("hf_secret");
        Path snapshot = new HubModelResolver(new HubSettings(hub.endpoint(), cacheDir, "hf_secret", false))
                .resolve(REPO, null, null);
        assertTrue(Files.isRegularFile(snapshot.resolve("unet/model.onnx")));
        for (FakeHub.Request request : hub.requests()) {
            String expected = request.path().startsWith("/cdn/") ? null : "Bearer hf_secret";
            assertEquals(expected, request.authorization(), "token goes to the Hub only, never to the CDN: " + request);
        }
    }

    @Test
    void offlineUsesTheCacheOnly() throws IOException {
        HubModelResolver offline = new HubModelResolver(new HubSettings(hub.endpoint(), cacheDir, null, true));
        HubException notCached = assertThrows(HubException.class, () -> offline.resolve(REPO, null, null));
        assertEquals(HubException.Reason.OFFLINE_NOT_CACHED, notCached.reason());
        assertTrue(notCached.getMessage().contains("HF_HUB_OFFLINE"), notCached.getMessage());
        assertEquals(List.of(), hub.requests());

        Path online = resolver().resolve(REPO, null, null);
        hub.clearRequests();
        assertEquals(online, offline.resolve(REPO, null, null));
        assertEquals(List.of(), hub.requests(), "offline mode makes no request");
    }

    @Test
    void unreachableHubFailsClearlyOrFallsBackToTheCache() throws IOException {
        URI closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = URI.create("http://127.0.0.1:" + socket.getLocalPort());
        }
        HubModelResolver unreachable = new HubModelResolver(new HubSettings(closedPort, cacheDir, null, false));
        HubException error = assertThrows(HubException.class, () -> unreachable.resolve(REPO, null, null));
        assertEquals(HubException.Reason.NETWORK, error.reason());
        assertTrue(error.getMessage().startsWith("Cannot reach the Hugging Face Hub"), error.getMessage());

        Path cached = resolver().resolve(REPO, null, null);
        assertEquals(cached, unreachable.resolve(REPO, null, null));
    }

    @Test
    void localFolderIsUsedAsIsAndBadIdsAreRejected() throws IOException {
        assertEquals(TINY_MODEL, resolver().resolve(TINY_MODEL.toString(), null, null));
        for (String bad : List.of("no-slash", "a/b/c", "org/na me", "org--x/name", "../../no/such")) {
            HubException error = assertThrows(HubException.class, () -> resolver().resolve(bad, null, null), bad);
            assertEquals(HubException.Reason.INVALID_REFERENCE, error.reason());
        }
        assertEquals(List.of(), hub.requests());
    }

    @Test
    void repoWithoutAnOnnxPipelineIsRejected() throws IOException {
        Path notAPipeline = Files.createDirectories(cacheDir.resolve("src/text-model"));
        Files.writeString(notAPipeline.resolve("config.json"), "{}", StandardCharsets.UTF_8);
        try (FakeHub other = new FakeHub(notAPipeline, "test-org/bert", COMMIT)) {
            HubException error = assertThrows(HubException.class, () -> new HubModelResolver(
                    new HubSettings(other.endpoint(), cacheDir.resolve("hub"), null, false)).resolve("test-org/bert", null, null));
            assertEquals(HubException.Reason.NOT_A_PIPELINE, error.reason());
            assertTrue(error.getMessage().contains("unet/model.onnx"), error.getMessage());
        }
    }
}
