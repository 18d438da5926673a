package io.texttoimage.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.texttoimage.pipeline.ModelFolder;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Turns a model reference into a local model folder: an existing folder is used as is; a Hugging Face repo id
 * ({@code org/name}) is downloaded (only the files the pipeline needs) into the standard huggingface_hub cache
 * layout, so that a cache filled by Python tools is reused and ours is readable by them:
 *
 * <pre>
 * models--org--name/
 *   blobs/&lt;etag&gt;                    file contents, named by sha256 (LFS) or git blob id
 *   snapshots/&lt;commit&gt;/&lt;path&gt;      relative symlinks to ../../blobs/&lt;etag&gt;
 *   refs/&lt;revision&gt;                 the commit a branch or tag pointed to when last resolved
 * </pre>
 */
public final class HubModelResolver {

    public static final String DEFAULT_MODEL = "onnx-community/stable-diffusion-v1-5-ONNX";
    public static final String DEFAULT_REVISION = "main";

    private static final System.Logger LOG = System.getLogger(HubModelResolver.class.getName());
    private static final Pattern REPO_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,95}/[A-Za-z0-9][A-Za-z0-9._-]{0,95}");
    private static final Pattern COMMIT_HASH = Pattern.compile("[0-9a-f]{40}");
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final int MAX_REDIRECTS = 5;
    private static final int MAX_RESUME_ATTEMPTS = 5;
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration METADATA_TIMEOUT = Duration.ofSeconds(30);
    /** Several resolvers in one JVM (worker + tests) must not write the same blob at once; file locks are per JVM. */
    private static final Map<Path, ReentrantLock> JVM_LOCKS = new ConcurrentHashMap<>();

    private final HubSettings settings;
    private final HttpClient http;
    private final ObjectMapper json = new ObjectMapper();

    public HubModelResolver(HubSettings settings) {
        this.settings = settings;
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER) // followed by hand: the token must not reach a CDN
                .connectTimeout(CONNECT_TIMEOUT)
                .build();
    }

    public HubSettings settings() {
        return settings;
    }

    /**
     * @param modelRefOrPath an existing local folder, or a repo id {@code org/name}; null or blank means
     *                       {@link #DEFAULT_MODEL}
     * @param revision       branch, tag or commit hash; null or blank means {@code main}
     * @param progress       download progress callback, or null
     * @return the model folder (for a repo: its snapshot folder in the cache)
     */
    public Path resolve(String modelRefOrPath, String revision, DownloadProgress progress) throws IOException {
        String reference = modelRefOrPath == null || modelRefOrPath.isBlank() ? DEFAULT_MODEL : modelRefOrPath.trim();
        Path localFolder = localFolder(reference);
        if (localFolder != null) {
            return localFolder;
        }
        String repoId = validateRepoId(reference);
        String rev = revision == null || revision.isBlank() ? DEFAULT_REVISION : revision.trim();
        RepoCache cache = new RepoCache(settings.cacheDir(), repoId);
        DownloadProgress listener = progress == null ? DownloadProgress.none() : progress;

        if (settings.offline()) {
            return cache.completeSnapshot(rev).orElseThrow(() -> new HubException(HubException.Reason.OFFLINE_NOT_CACHED,
                    "HF_HUB_OFFLINE is set and " + repoId + " at revision '" + rev + "' is not in the cache "
                            + settings.cacheDir() + ": unset HF_HUB_OFFLINE to download it once, or pass a local model folder."));
        }
        if (COMMIT_HASH.matcher(rev).matches()) {
            Optional<Path> pinned = cache.completeSnapshot(rev);
            if (pinned.isPresent()) {
                return pinned.get(); // a commit never changes: no need to ask the Hub
            }
        }
        RepoListing listing;
        try {
            listing = fetchListing(repoId, rev);
        } catch (HubException e) {
            if (e.reason() != HubException.Reason.NETWORK) {
                throw e;
            }
            Optional<Path> cached = cache.completeSnapshot(rev);
            if (cached.isEmpty()) {
                throw e;
            }
            LOG.log(Level.WARNING, "{0} Using the cached snapshot {1}.", e.getMessage(), cached.get());
            return cached.get();
        }
        List<String> needed = ModelFolder.filesToLoad(listing.files().stream().map(RepoFile::path).toList());
        List<String> missing = ModelFolder.missingRequiredFiles(needed);
        if (!missing.isEmpty()) {
            throw new HubException(HubException.Reason.NOT_A_PIPELINE, repoId + " at revision '" + rev
                    + "' is not an ONNX Stable Diffusion model (missing " + String.join(", ", missing)
                    + "): choose a repo in the diffusers ONNX layout, such as " + DEFAULT_MODEL + ".");
        }
        Path snapshot = cache.snapshotDir(listing.commit());
        // model_index.json last: a snapshot that has it is complete, even if an earlier run was killed midway
        List<RepoFile> toFetch = listing.files().stream().filter(file -> needed.contains(file.path()))
                .sorted(Comparator.comparing((RepoFile file) -> file.path().equals(ModelFolder.MODEL_INDEX)))
                .toList();
        for (RepoFile file : toFetch) {
            if (!cache.isInSnapshot(listing.commit(), file)) {
                download(repoId, listing.commit(), file, cache, listener);
            }
        }
        cache.writeRef(rev, listing.commit());
        return snapshot;
    }

    private static Path localFolder(String reference) {
        try {
            Path path = Path.of(reference);
            return Files.isDirectory(path) ? path : null;
        } catch (java.nio.file.InvalidPathException e) {
            return null;
        }
    }

    private static String validateRepoId(String reference) throws HubException {
        if (!REPO_ID.matcher(reference).matches() || reference.contains("--") || reference.contains("..")) {
            throw new HubException(HubException.Reason.INVALID_REFERENCE, "'" + reference
                    + "' is neither an existing folder nor a Hugging Face repo id like org/name: check the path or the id.");
        }
        return reference;
    }

    // ---- Hub API ---------------------------------------------------------------------------------------------

    record RepoFile(String path, long size, String sha256, String blobId) {
        boolean isLfs() {
            return sha256 != null;
        }
    }

    record RepoListing(String commit, List<RepoFile> files) {
    }

    private RepoListing fetchListing(String repoId, String revision) throws IOException {
        URI uri = URI.create(settings.endpoint() + "/api/models/" + repoId + "/revision/" + encode(revision) + "?blobs=true");
        HttpResponse<byte[]> response = getFollowingRedirects(uri, HttpResponse.BodyHandlers.ofByteArray());
        if (response.statusCode() != 200) {
            throw httpError(response, repoId, revision, null);
        }
        JsonNode root = json.readTree(response.body());
        String commit = root.path("sha").asText(null);
        if (commit == null || !COMMIT_HASH.matcher(commit).matches()) {
            throw new HubException(HubException.Reason.SERVER_ERROR, "The Hub at " + settings.endpoint()
                    + " answered without a commit hash for " + repoId + ": check HF_ENDPOINT points at a Hugging Face Hub.");
        }
        List<RepoFile> files = new ArrayList<>();
        for (JsonNode sibling : root.path("siblings")) {
            JsonNode lfs = sibling.path("lfs");
            String sha256 = lfs.isObject() ? lfs.path("sha256").asText(null) : null;
            long size = lfs.isObject() ? lfs.path("size").asLong(-1) : sibling.path("size").asLong(-1);
            files.add(new RepoFile(sibling.path("rfilename").asText(), size, sha256, sibling.path("blobId").asText(null)));
        }
        return new RepoListing(commit, files);
    }

    /** What the resolve endpoint says about a file before we fetch it (the same HEAD huggingface_hub makes). */
    private record FileMetadata(String etag, long size, String commit, URI downloadUri) {
    }

    private FileMetadata fetchFileMetadata(String repoId, String commit, RepoFile file) throws IOException {
        URI resolveUri = resolveUri(repoId, commit, file.path());
        URI uri = resolveUri;
        for (int redirect = 0; redirect <= MAX_REDIRECTS; redirect++) {
            HttpRequest request = request(uri, METADATA_TIMEOUT).method("HEAD", HttpRequest.BodyPublishers.noBody())
                    .header("Accept-Encoding", "identity").build();
            HttpResponse<Void> response = send(request, HttpResponse.BodyHandlers.discarding());
            int status = response.statusCode();
            if (status >= 300 && status < 400 && response.headers().firstValue("Location").isPresent()) {
                URI location = URI.create(response.headers().firstValue("Location").get());
                URI target = uri.resolve(location);
                if (location.getHost() == null) {
                    uri = target; // relative: a renamed repo on the Hub itself, ask again
                    continue;
                }
                return metadata(response, file, target); // absolute: an LFS file, the CDN holds the bytes
            }
            if (status == 200) {
                return metadata(response, file, uri);
            }
            throw httpError(response, repoId, commit, file.path());
        }
        throw new HubException(HubException.Reason.SERVER_ERROR, "Too many redirects for " + resolveUri
                + ": check HF_ENDPOINT and any proxy in between.");
    }

    private static FileMetadata metadata(HttpResponse<?> response, RepoFile file, URI downloadUri) {
        var headers = response.headers();
        String etag = headers.firstValue("X-Linked-Etag").or(() -> headers.firstValue("ETag"))
                .map(HubModelResolver::normalizeEtag).orElse(null);
        if (etag == null) {
            etag = file.isLfs() ? file.sha256() : file.blobId();
        }
        long size = headers.firstValue("X-Linked-Size").or(() -> headers.firstValue("Content-Length"))
                .map(Long::parseLong).orElse(file.size());
        String commit = headers.firstValue("X-Repo-Commit").orElse(null);
        return new FileMetadata(etag, size, commit, downloadUri);
    }

    static String normalizeEtag(String etag) {
        String value = etag.trim();
        if (value.startsWith("W/")) {
            value = value.substring(2);
        }
        if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
            value = value.substring(1, value.length() - 1);
        }
        return value;
    }

    // ---- download --------------------------------------------------------------------------------------------

    private void download(String repoId, String commit, RepoFile file, RepoCache cache, DownloadProgress progress)
            throws IOException {
        FileMetadata metadata = fetchFileMetadata(repoId, commit, file);
        if (metadata.commit() != null && !metadata.commit().equals(commit)) {
            LOG.log(Level.WARNING, "{0}: the Hub served commit {1} instead of {2}", file.path(), metadata.commit(), commit);
        }
        if (metadata.etag() == null || metadata.etag().isBlank() || metadata.etag().contains("/")) {
            throw new HubException(HubException.Reason.SERVER_ERROR, "The Hub sent no usable ETag for " + file.path()
                    + " of " + repoId + ": check HF_ENDPOINT points at a Hugging Face Hub and retry.");
        }
        Path blob = cache.blob(metadata.etag());
        Files.createDirectories(blob.getParent());
        try (BlobLock ignored = BlobLock.acquire(cache.lockFile(metadata.etag()))) {
            if (!Files.isRegularFile(blob) || (metadata.size() >= 0 && Files.size(blob) != metadata.size())) {
                Path incomplete = blob.resolveSibling(blob.getFileName() + ".incomplete");
                checkFreeSpace(incomplete, metadata.size());
                fetchToFile(metadata, file.path(), incomplete, progress);
                verify(repoId, file, metadata, incomplete);
                moveIntoPlace(incomplete, blob);
            }
        }
        cache.link(commit, file.path(), blob);
        progress.onFileDone(file.path(), Files.size(blob));
    }

    /** Streams the file into {@code incomplete}, continuing where an earlier attempt (or process) stopped. */
    private void fetchToFile(FileMetadata metadata, String path, Path incomplete, DownloadProgress progress)
            throws IOException {
        long started = System.nanoTime();
        long received = 0;
        IOException lastFailure = null;
        for (int attempt = 0; attempt <= MAX_RESUME_ATTEMPTS; attempt++) {
            long have = Files.exists(incomplete) ? Files.size(incomplete) : 0;
            if (metadata.size() >= 0 && have > metadata.size()) {
                Files.delete(incomplete); // longer than the file can be: not ours to continue
                have = 0;
            }
            if (metadata.size() >= 0 && have == metadata.size()) {
                return;
            }
            try {
                received += fetchRange(metadata, path, incomplete, have, progress, started, received);
                return;
            } catch (HubException e) {
                throw e;
            } catch (IOException e) {
                if (isDiskFull(e)) {
                    throw diskFull(incomplete, metadata.size(), e);
                }
                if (isUnreachable(e)) {
                    throw unreachable(e);
                }
                lastFailure = e;
                LOG.log(Level.WARNING, "Download of {0} was interrupted ({1}); resuming", path, e.toString());
            }
        }
        throw new HubException(HubException.Reason.NETWORK, "The download of " + path + " kept failing ("
                + lastFailure.getMessage() + "): check your network and retry; the part already downloaded is kept.",
                lastFailure);
    }

    /** One GET, with {@code Range} when part of the file is already on disk; returns bytes received. */
    private long fetchRange(FileMetadata metadata, String path, Path incomplete, long have, DownloadProgress progress,
                            long startedNanos, long receivedBefore) throws IOException {
        URI uri = metadata.downloadUri();
        HttpResponse<InputStream> response = null;
        for (int redirect = 0; redirect <= MAX_REDIRECTS; redirect++) {
            // request() adds the token only for the Hub itself, never for the CDN it redirects to
            HttpRequest.Builder builder = request(uri, null).GET().header("Accept-Encoding", "identity");
            if (have > 0) {
                builder.header("Range", "bytes=" + have + "-");
            }
            response = send(builder.build(), HttpResponse.BodyHandlers.ofInputStream());
            int status = response.statusCode();
            if (status >= 300 && status < 400 && response.headers().firstValue("Location").isPresent()) {
                response.body().close();
                uri = uri.resolve(response.headers().firstValue("Location").get());
                continue;
            }
            break;
        }
        int status = response.statusCode();
        boolean append;
        if (status == 206) {
            append = true;
        } else if (status == 200) {
            append = false; // the server ignored Range: start over
            have = 0;
        } else if (status == 416 && metadata.size() >= 0 && have == metadata.size()) {
            response.body().close();
            return 0;
        } else {
            response.body().close();
            throw httpError(response, null, null, path);
        }
        long total = metadata.size();
        long received = 0;
        byte[] buffer = new byte[1 << 16];
        try (InputStream in = response.body();
             OutputStream out = Files.newOutputStream(incomplete, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                     append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
            int read;
            long done = have;
            while ((read = in.read(buffer)) >= 0) {
                out.write(buffer, 0, read);
                done += read;
                received += read;
                double seconds = Math.max(1e-3, (System.nanoTime() - startedNanos) / 1e9);
                progress.onProgress(path, done, total, (receivedBefore + received) / seconds);
            }
        }
        return received;
    }

    private void verify(String repoId, RepoFile file, FileMetadata metadata, Path incomplete) throws IOException {
        long actualSize = Files.size(incomplete);
        long expectedSize = metadata.size() >= 0 ? metadata.size() : file.size();
        String expectedSha = file.isLfs() ? file.sha256()
                : SHA256.matcher(metadata.etag()).matches() ? metadata.etag() : null;
        String problem = null;
        if (expectedSize >= 0 && actualSize != expectedSize) {
            problem = "it has " + actualSize + " bytes instead of " + expectedSize;
        } else if (expectedSha != null) {
            String actualSha = sha256(incomplete);
            if (!actualSha.equals(expectedSha)) {
                problem = "its sha256 is " + actualSha + " instead of " + expectedSha;
            }
        }
        if (problem != null) {
            Files.deleteIfExists(incomplete);
            throw new HubException(HubException.Reason.CORRUPT_DOWNLOAD, "The download of " + file.path() + " from "
                    + repoId + " is corrupt (" + problem + ") and was deleted: run again to download it afresh.");
        }
    }

    private static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[1 << 16];
            int read;
            while ((read = in.read(buffer)) >= 0) {
                digest.update(buffer, 0, read);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("Every JDK has SHA-256", e);
        }
    }

    private static void moveIntoPlace(Path incomplete, Path blob) throws IOException {
        try {
            Files.move(incomplete, blob, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(incomplete, blob, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private void checkFreeSpace(Path incomplete, long size) throws IOException {
        if (size < 0) {
            return;
        }
        long have = Files.exists(incomplete) ? Files.size(incomplete) : 0;
        long free = Files.getFileStore(incomplete.getParent()).getUsableSpace();
        if (size - have > free) {
            throw new HubException(HubException.Reason.DISK_FULL, "Not enough disk space for " + incomplete.getFileName()
                    + " (" + ByteSizes.format(size - have) + " needed, " + ByteSizes.format(free)
                    + " free in " + settings.cacheDir() + "): free some space or set HF_HUB_CACHE to a larger disk.");
        }
    }

    private static boolean isDiskFull(IOException e) {
        String message = String.valueOf(e.getMessage());
        return message.contains("No space left") || message.contains("not enough space") || message.contains("Disk quota");
    }

    private HubException diskFull(Path incomplete, long size, IOException cause) {
        return new HubException(HubException.Reason.DISK_FULL, "Writing " + incomplete + " failed (" + cause.getMessage()
                + "): free some disk space or set HF_HUB_CACHE to a larger disk, then run again to resume.", cause);
    }

    // ---- HTTP helpers ----------------------------------------------------------------------------------------

    private HttpRequest.Builder request(URI uri, Duration timeout) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(uri).header("User-Agent", "text-to-image-hub-client/0.1");
        if (timeout != null) {
            builder.timeout(timeout);
        }
        if (settings.token() != null && sameOrigin(uri, settings.endpoint())) {
            builder.header("Authorization", "Bearer " + settings.token());
        }
        return builder;
    }

    private <T> HttpResponse<T> getFollowingRedirects(URI uri, HttpResponse.BodyHandler<T> handler) throws IOException {
        URI current = uri;
        for (int redirect = 0; redirect <= MAX_REDIRECTS; redirect++) {
            HttpResponse<T> response = send(request(current, METADATA_TIMEOUT).GET().build(), handler);
            int status = response.statusCode();
            if (status >= 300 && status < 400 && response.headers().firstValue("Location").isPresent()) {
                current = current.resolve(response.headers().firstValue("Location").get());
                continue;
            }
            return response;
        }
        throw new HubException(HubException.Reason.SERVER_ERROR, "Too many redirects for " + uri
                + ": check HF_ENDPOINT and any proxy in between.");
    }

    private <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler) throws IOException {
        try {
            return http.send(request, handler);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("Interrupted while talking to " + request.uri());
        } catch (IOException e) {
            if (isUnreachable(e)) {
                throw unreachable(e);
            }
            throw e;
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private static boolean isUnreachable(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ConnectException || t instanceof UnresolvedAddressException
                    || t instanceof HttpConnectTimeoutException || t instanceof java.net.UnknownHostException
                    || t instanceof java.net.NoRouteToHostException) {
                return true;
            }
        }
        return false;
    }

    private HubException unreachable(Throwable cause) {
        return new HubException(HubException.Reason.NETWORK, "Cannot reach the Hugging Face Hub at " + settings.endpoint()
                + " (" + cause + "): check your network connection or proxy (HF_ENDPOINT), or set HF_HUB_OFFLINE=1 to use"
                + " the models already in the cache.", cause);
    }

    private HubException httpError(HttpResponse<?> response, String repoId, String revision, String path) {
        int status = response.statusCode();
        String errorCode = response.headers().firstValue("X-Error-Code").orElse("");
        String serverMessage = response.headers().firstValue("X-Error-Message").map(m -> " (" + m + ")").orElse("");
        String what = repoId == null ? path : repoId + (path == null ? "" : "/" + path);
        if ("RepoNotFound".equals(errorCode) || (status == 404 && path == null && !"RevisionNotFound".equals(errorCode)
                && !"EntryNotFound".equals(errorCode))) {
            return new HubException(HubException.Reason.NOT_FOUND, "Repository " + repoId + " (or revision '" + revision
                    + "') was not found on " + settings.endpoint() + serverMessage + ": check the repo id and revision,"
                    + " and set HF_TOKEN if the repo is private.");
        }
        if ("RevisionNotFound".equals(errorCode)) {
            return new HubException(HubException.Reason.NOT_FOUND, "Revision '" + revision + "' of " + repoId
                    + " does not exist" + serverMessage + ": check the branch, tag or commit hash.");
        }
        if (status == 401 || status == 403) {
            String hint = settings.token() == null
                    ? "the repo is gated or private: accept its terms on the Hub and set HF_TOKEN to a read token."
                    : "the token in HF_TOKEN was rejected or has no access: check it and that you accepted the repo's terms.";
            return new HubException(HubException.Reason.UNAUTHORIZED, "Access to " + what + " was refused (HTTP " + status
                    + ")" + serverMessage + ": " + hint);
        }
        if (status == 404) {
            return new HubException(HubException.Reason.NOT_FOUND, what + " was not found (HTTP 404)" + serverMessage
                    + ": check the repo id and revision.");
        }
        return new HubException(HubException.Reason.SERVER_ERROR, "The Hub answered HTTP " + status + " for " + what
                + serverMessage + ": retry later, or set HF_HUB_OFFLINE=1 to use the cache.");
    }

    private URI resolveUri(String repoId, String commit, String path) {
        StringBuilder encodedPath = new StringBuilder();
        for (String segment : path.split("/")) {
            if (!encodedPath.isEmpty()) {
                encodedPath.append('/');
            }
            encodedPath.append(encode(segment));
        }
        return URI.create(settings.endpoint() + "/" + repoId + "/resolve/" + encode(commit) + "/" + encodedPath);
    }

    private static String encode(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static boolean sameOrigin(URI a, URI b) {
        return a.getScheme().equalsIgnoreCase(b.getScheme()) && a.getHost().equalsIgnoreCase(b.getHost())
                && effectivePort(a) == effectivePort(b);
    }

    private static int effectivePort(URI uri) {
        return uri.getPort() >= 0 ? uri.getPort() : "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
    }

    // ---- cache layout ----------------------------------------------------------------------------------------

    /** One repo's folder in the huggingface_hub cache. */
    static final class RepoCache {
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

        boolean isInSnapshot(String commit, RepoFile file) throws IOException {
            Path pointer = snapshotDir(commit).resolve(file.path());
            return Files.isRegularFile(pointer) && (file.size() < 0 || Files.size(pointer) == file.size());
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

        /** The snapshot for {@code revision} (branch, tag or commit) if it holds every required file. */
        Optional<Path> completeSnapshot(String revision) {
            String commit = revision;
            Path ref = root.resolve("refs").resolve(revision);
            if (!COMMIT_HASH.matcher(revision).matches()) {
                if (!Files.isRegularFile(ref)) {
                    return Optional.empty();
                }
                try {
                    commit = Files.readString(ref, StandardCharsets.UTF_8).trim();
                } catch (IOException e) {
                    return Optional.empty();
                }
            }
            Path snapshot = snapshotDir(commit);
            boolean complete = ModelFolder.REQUIRED_FILES.stream().allMatch(path -> Files.isRegularFile(snapshot.resolve(path)));
            return complete ? Optional.of(snapshot) : Optional.empty();
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

    /** Cross-process (file lock) and in-process (reentrant lock) exclusion for writing one blob. */
    private static final class BlobLock implements AutoCloseable {
        private final ReentrantLock jvmLock;
        private final FileChannel channel;
        private final FileLock fileLock;

        private BlobLock(ReentrantLock jvmLock, FileChannel channel, FileLock fileLock) {
            this.jvmLock = jvmLock;
            this.channel = channel;
            this.fileLock = fileLock;
        }

        static BlobLock acquire(Path lockFile) throws IOException {
            ReentrantLock jvmLock = JVM_LOCKS.computeIfAbsent(lockFile.toAbsolutePath().normalize(), p -> new ReentrantLock());
            jvmLock.lock();
            try {
                Files.createDirectories(lockFile.getParent());
                FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                return new BlobLock(jvmLock, channel, channel.lock());
            } catch (IOException | RuntimeException e) {
                jvmLock.unlock();
                throw e;
            }
        }

        @Override
        public void close() throws IOException {
            try {
                fileLock.release();
                channel.close();
            } finally {
                jvmLock.unlock();
            }
        }
    }

    @Override
    public String toString() {
        return "HubModelResolver[" + settings + "]";
    }
}
