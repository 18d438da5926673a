package io.texttoimage.hub;

import io.texttoimage.pipeline.ModelFolder;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * One repo's folder in the huggingface_hub cache, in the layout Python tools use, so that each side reuses what the
 * other downloaded:
 *
 * <pre>
 * models--org--name/
 *   blobs/&lt;etag&gt;                    file contents, named by sha256 (LFS) or git blob id
 *   snapshots/&lt;commit&gt;/&lt;path&gt;      relative symlinks to ../../blobs/&lt;etag&gt;
 *   refs/&lt;revision&gt;                 the commit a branch or tag pointed to when last resolved
 * .locks/models--org--name/&lt;etag&gt;.lock
 * </pre>
 */
final class RepoCache {

    private final Path root;
    private final Path cacheDir;
    private final String folderName;

    RepoCache(Path cacheDir, String repoId) {
        this.cacheDir = cacheDir;
        this.folderName = "models--" + repoId.replace("/", "--");
        this.root = cacheDir.resolve(folderName);
    }

    Path snapshotDir(String commit) {
        return root.resolve("snapshots").resolve(commit);
    }

    Path blob(String etag) {
        return root.resolve("blobs").resolve(etag);
    }

    Path lockFile(String etag) {
        return cacheDir.resolve(".locks").resolve(folderName).resolve(etag + ".lock");
    }

    /** Whether the snapshot already has {@code file} (with the listed size, when the listing gave one). */
    boolean isInSnapshot(String commit, HubApiClient.RepoFile file) throws IOException {
        Path pointer = snapshotDir(commit).resolve(file.path());
        return Files.isRegularFile(pointer) && (file.size() < 0 || Files.size(pointer) == file.size());
    }

    /** Whether the blob is there in full, e.g. the same file of another revision; size -1 means unknown. */
    boolean hasCompleteBlob(String etag, long size) throws IOException {
        Path blob = blob(etag);
        return Files.isRegularFile(blob) && (size < 0 || Files.size(blob) == size);
    }

    /** Points snapshots/commit/path at the blob with a relative symlink, as huggingface_hub does. */
    void link(String commit, String path, Path blob) throws IOException {
        Path pointer = snapshotDir(commit).resolve(path);
        Files.createDirectories(pointer.getParent());
        Files.deleteIfExists(pointer);
        try {
            Files.createSymbolicLink(pointer, pointer.getParent().relativize(blob));
        } catch (UnsupportedOperationException | FileSystemException e) {
            Files.copy(blob, pointer); // file systems without symlinks: huggingface_hub copies as well
        }
    }

    /** Remembers the commit a branch or tag points to, for offline use; a commit hash needs no ref. */
    void writeRef(String revision, String commit) throws IOException {
        if (revision.equals(commit)) {
            return;
        }
        Path ref = root.resolve("refs").resolve(revision);
        Files.createDirectories(ref.getParent());
        Path temporary = ref.resolveSibling(ref.getFileName() + ".tmp");
        Files.writeString(temporary, commit, StandardCharsets.UTF_8);
        Files.move(temporary, ref, StandardCopyOption.REPLACE_EXISTING);
    }

    /** The snapshot for {@code revision} (branch, tag or commit) if it holds every file a model folder requires. */
    Optional<Path> completeSnapshot(String revision) {
        Optional<String> commit = ModelReference.isCommitHash(revision) ? Optional.of(revision) : readRef(revision);
        if (commit.isEmpty()) {
            return Optional.empty();
        }
        Path snapshot = snapshotDir(commit.get());
        boolean complete = ModelFolder.REQUIRED_FILES.stream().allMatch(path -> Files.isRegularFile(snapshot.resolve(path)));
        return complete ? Optional.of(snapshot) : Optional.empty();
    }

    private Optional<String> readRef(String revision) {
        Path ref = root.resolve("refs").resolve(revision);
        if (!Files.isRegularFile(ref)) {
            return Optional.empty();
        }
        try {
            return Optional.of(Files.readString(ref, StandardCharsets.UTF_8).trim());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Every file path in a snapshot, '/'-separated, for tests and diagnostics. */
    static List<String> filesIn(Path snapshot) throws IOException {
        try (Stream<Path> walk = Files.walk(snapshot)) {
            return walk.filter(p -> !Files.isDirectory(p))
                    .map(p -> snapshot.relativize(p).toString().replace('\\', '/'))
                    .sorted().toList();
        }
    }
}
