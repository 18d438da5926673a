package io.texttoimage.hub;

import io.texttoimage.pipeline.ModelFolder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The huggingface_hub cache layout on a temporary folder, without any network. */
class RepoCacheTest {

    static final String BRANCH_COMMIT = FakeHub.COMMIT;

    @TempDir
    Path cacheDir;

    RepoCache cache() {
        return new RepoCache(cacheDir, "test-org/tiny-sd-onnx");
    }

    static Path writeBlob(RepoCache cache, String etag, String content) throws IOException {
        Path blob = cache.blob(etag);
        Files.createDirectories(blob.getParent());
        return Files.writeString(blob, content);
    }

    @Test
    void theLayoutIsHuggingfaceHubs() {
        Path repo = cacheDir.resolve("models--test-org--tiny-sd-onnx");
        assertEquals(repo.resolve("snapshots/" + BRANCH_COMMIT), cache().snapshotDir(BRANCH_COMMIT));
        assertEquals(repo.resolve("blobs/abc"), cache().blob("abc"));
        assertEquals(cacheDir.resolve(".locks/models--test-org--tiny-sd-onnx/abc.lock"), cache().lockFile("abc"));
    }

    @Test
    void aSnapshotFileIsARelativeLinkToItsBlob() throws IOException {
        RepoCache cache = cache();
        Path blob = writeBlob(cache, "abc", "weights");

        cache.link(BRANCH_COMMIT, "unet/weights.pb", blob);

        Path pointer = cache.snapshotDir(BRANCH_COMMIT).resolve("unet/weights.pb");
        assertTrue(Files.isSymbolicLink(pointer));
        Path target = Files.readSymbolicLink(pointer);
        assertFalse(target.isAbsolute(), "relative link so the cache can move: " + target);
        assertEquals(blob, pointer.getParent().resolve(target).normalize());
        assertEquals(List.of("unet/weights.pb"), RepoCache.filesIn(cache.snapshotDir(BRANCH_COMMIT)));
    }

    @Test
    void aBranchIsRememberedAndACommitNeedsNoRef() throws IOException {
        RepoCache cache = cache();
        cache.writeRef("main", BRANCH_COMMIT);
        cache.writeRef(BRANCH_COMMIT, BRANCH_COMMIT);

        Path refs = cacheDir.resolve("models--test-org--tiny-sd-onnx/refs");
        assertEquals(BRANCH_COMMIT, Files.readString(refs.resolve("main"), StandardCharsets.UTF_8));
        try (Stream<Path> files = Files.list(refs)) {
            assertEquals(List.of("main"), files.map(p -> p.getFileName().toString()).toList(), "no temporary files left");
        }
    }

    @Test
    void aSnapshotIsCompleteOnlyWithEveryRequiredFile() throws IOException {
        RepoCache cache = cache();
        cache.writeRef("main", BRANCH_COMMIT);
        Path snapshot = cache.snapshotDir(BRANCH_COMMIT);
        List<String> required = ModelFolder.REQUIRED_FILES;
        for (String file : required.subList(1, required.size())) {
            Files.createDirectories(snapshot.resolve(file).getParent());
            Files.writeString(snapshot.resolve(file), "x");
        }
        assertEquals(Optional.empty(), cache.completeSnapshot("main"), "no " + required.get(0) + " yet");

        Files.writeString(snapshot.resolve(required.get(0)), "{}");
        assertEquals(Optional.of(snapshot), cache.completeSnapshot("main"));
        assertEquals(Optional.of(snapshot), cache.completeSnapshot(BRANCH_COMMIT), "a commit is looked up directly");
        assertEquals(Optional.empty(), cache.completeSnapshot("v2"), "a branch never resolved");
    }

    @Test
    void filesAndBlobsCountOnlyAtTheirFullSize() throws IOException {
        RepoCache cache = cache();
        Path blob = writeBlob(cache, "abc", "12345");
        cache.link(BRANCH_COMMIT, "unet/model.onnx", blob);

        assertTrue(cache.hasCompleteBlob("abc", 5));
        assertTrue(cache.hasCompleteBlob("abc", -1), "size unknown: present is enough");
        assertFalse(cache.hasCompleteBlob("abc", 6));
        assertFalse(cache.hasCompleteBlob("other", 5));
        assertTrue(cache.isInSnapshot(BRANCH_COMMIT, new HubApiClient.RepoFile("unet/model.onnx", 5, null, "abc")));
        assertFalse(cache.isInSnapshot(BRANCH_COMMIT, new HubApiClient.RepoFile("unet/model.onnx", 6, null, "abc")));
        assertFalse(cache.isInSnapshot(BRANCH_COMMIT, new HubApiClient.RepoFile("vae_decoder/model.onnx", 5, null, "x")));
    }
}
