package io.texttoimage.hub;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

/**
 * A loopback imitation of the Hugging Face Hub, just enough of it for a client: the model info API with
 * {@code ?blobs=true}, and the resolve endpoint that answers small files itself (ETag = git blob id) and redirects
 * LFS files to a CDN-like path (X-Linked-Etag = sha256, X-Linked-Size), with Range requests on both.
 */
public final class FakeHub implements AutoCloseable {

    /** The tiny reference model with its UNet weights in an external file, as large Hub models have them. */
    public static final Path TINY_MODEL = Path.of("../testdata/sd-reference/model-int64-external");
    public static final String REPO = "test-org/tiny-sd-onnx";
    public static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";

    record Request(String method, String path, String range, String authorization) {
    }

    private final HttpServer server;
    /** LFS content lives on another origin, as on the real Hub, so a token sent there would be a leak. */
    private final HttpServer cdn;
    private final String repoId;
    private volatile String commit;
    private final Map<String, byte[]> files = new TreeMap<>();
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    /** Paths whose next download is cut off after this many bytes (once). */
    private final Map<String, Long> dropOnce = new ConcurrentHashMap<>();
    /** Paths served with one byte flipped, while the API and headers still announce the right checksum. */
    private final Map<String, Boolean> corrupt = new ConcurrentHashMap<>();
    private volatile String requiredToken;
    /** Answer every download in full (200), as a server without Range support does. */
    private volatile boolean ignoreRanges;

    public FakeHub(Path modelDir, String repoId, String commit) throws IOException {
        this.repoId = repoId;
        this.commit = commit;
        try (Stream<Path> walk = Files.walk(modelDir)) {
            for (Path file : walk.filter(Files::isRegularFile).toList()) {
                files.put(modelDir.relativize(file).toString().replace('\\', '/'), Files.readAllBytes(file));
            }
        }
        // Files a real SD repo has that the pipeline must not download.
        files.put("README.md", "# tiny test model\n".getBytes(StandardCharsets.UTF_8));
        files.put("safety_checker/model.onnx", new byte[4096]);
        files.put("feature_extractor/preprocessor_config.json", "{}".getBytes(StandardCharsets.UTF_8));
        files.put("unet/model_fp16.onnx", new byte[2048]);
        files.put("unet/model_fp16.onnx_data", new byte[2048]);
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.start();
        cdn = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        cdn.createContext("/", this::handle);
        cdn.start();
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    String commit() {
        return commit;
    }

    /** Moves the branch {@code main} to a new commit with the same files. */
    void pushCommit(String newCommit) {
        commit = newCommit;
    }

    byte[] content(String path) {
        return files.get(path);
    }

    List<Request> requests() {
        return List.copyOf(requests);
    }

    void clearRequests() {
        requests.clear();
    }

    void requireToken(String token) {
        requiredToken = token;
    }

    void dropConnectionOnce(String path, long afterBytes) {
        dropOnce.put(path, afterBytes);
    }

    void ignoreRanges() {
        ignoreRanges = true;
    }

    /** Where the CDN serves an LFS file, as the resolve endpoint's redirect says. */
    URI cdnUri(String path) {
        return URI.create("http://127.0.0.1:" + cdn.getAddress().getPort() + "/cdn/" + sha256(files.get(path))
                + "?name=" + path.replace('/', '_'));
    }

    void corrupt(String path) {
        corrupt.put(path, true);
    }

    void repair(String path) {
        corrupt.remove(path);
    }

    static boolean isLfs(String path) {
        return path.endsWith(".onnx") || path.endsWith(".pb") || path.endsWith(".onnx_data");
    }

    static String sha256(byte[] data) {
        return hex("SHA-256", data);
    }

    /** Git's blob id: what the Hub uses as ETag for files stored in git itself. */
    static String gitBlobId(byte[] data) {
        byte[] header = ("blob " + data.length + "\0").getBytes(StandardCharsets.UTF_8);
        byte[] all = new byte[header.length + data.length];
        System.arraycopy(header, 0, all, 0, header.length);
        System.arraycopy(data, 0, all, header.length, data.length);
        return hex("SHA-1", all);
    }

    private static String hex(String algorithm, byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance(algorithm).digest(data));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        cdn.stop(0);
    }

    // ---- handlers ------------------------------------------------------------------------------------------------

    private void handle(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getRawPath();
        requests.add(new Request(exchange.getRequestMethod(), path, exchange.getRequestHeaders().getFirst("Range"),
                exchange.getRequestHeaders().getFirst("Authorization")));
        try (exchange) {
            if (path.startsWith("/cdn/")) {
                serveCdn(exchange, path.substring("/cdn/".length()));
                return;
            }
            if (requiredToken != null && !("Bearer " + requiredToken).equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
                exchange.getResponseHeaders().add("X-Error-Code", "GatedRepo");
                exchange.getResponseHeaders().add("X-Error-Message", "Access to model " + repoId + " is restricted.");
                exchange.sendResponseHeaders(401, -1);
                return;
            }
            String apiPrefix = "/api/models/" + repoId + "/revision/";
            String resolvePrefix = "/" + repoId + "/resolve/";
            if (path.startsWith("/api/models/") && !path.startsWith(apiPrefix)) {
                error(exchange, 404, "RepoNotFound");
            } else if (path.startsWith(apiPrefix)) {
                serveApi(exchange, path.substring(apiPrefix.length()));
            } else if (path.startsWith(resolvePrefix)) {
                serveResolve(exchange, path.substring(resolvePrefix.length()));
            } else {
                error(exchange, 404, "RepoNotFound");
            }
        }
    }

    private boolean knownRevision(String revision) {
        return revision.equals("main") || revision.equals(commit);
    }

    private void serveApi(HttpExchange exchange, String revision) throws IOException {
        if (!knownRevision(revision)) {
            error(exchange, 404, "RevisionNotFound");
            return;
        }
        StringBuilder json = new StringBuilder("{\"id\":\"" + repoId + "\",\"sha\":\"" + commit + "\",\"siblings\":[");
        boolean first = true;
        for (var entry : files.entrySet()) {
            byte[] data = entry.getValue();
            json.append(first ? "" : ",").append("{\"rfilename\":\"").append(entry.getKey()).append("\",\"size\":")
                    .append(data.length).append(",\"blobId\":\"").append(gitBlobId(data)).append('"');
            if (isLfs(entry.getKey())) {
                json.append(",\"lfs\":{\"sha256\":\"").append(sha256(data)).append("\",\"size\":").append(data.length)
                        .append(",\"pointerSize\":134}");
            }
            json.append('}');
            first = false;
        }
        json.append("]}");
        byte[] body = json.toString().getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, body.length);
        exchange.getResponseBody().write(body);
    }

    private void serveResolve(HttpExchange exchange, String revisionAndPath) throws IOException {
        int slash = revisionAndPath.indexOf('/');
        String revision = revisionAndPath.substring(0, slash);
        String file = revisionAndPath.substring(slash + 1);
        if (!knownRevision(revision)) {
            error(exchange, 404, "RevisionNotFound");
            return;
        }
        byte[] data = files.get(file);
        if (data == null) {
            error(exchange, 404, "EntryNotFound");
            return;
        }
        var headers = exchange.getResponseHeaders();
        headers.add("X-Repo-Commit", commit);
        if (isLfs(file)) {
            headers.add("ETag", "\"" + gitBlobId(("version https://git-lfs.github.com/spec/v1\noid sha256:" + sha256(data))
                    .getBytes(StandardCharsets.UTF_8)) + "\"");
            headers.add("X-Linked-Etag", "\"" + sha256(data) + "\"");
            headers.add("X-Linked-Size", Long.toString(data.length));
            headers.add("Location", cdnUri(file).toString());
            exchange.sendResponseHeaders(302, -1);
            return;
        }
        headers.add("ETag", "\"" + gitBlobId(data) + "\"");
        serveBytes(exchange, file, data);
    }

    private void serveCdn(HttpExchange exchange, String sha) throws IOException {
        for (var entry : files.entrySet()) {
            if (isLfs(entry.getKey()) && sha256(entry.getValue()).equals(sha)) {
                serveBytes(exchange, entry.getKey(), entry.getValue());
                return;
            }
        }
        exchange.sendResponseHeaders(404, -1);
    }

    /** Serves {@code data} honouring {@code Range: bytes=N-}, dropping the connection or flipping a byte if asked. */
    private void serveBytes(HttpExchange exchange, String file, byte[] data) throws IOException {
        byte[] served = data;
        if (corrupt.containsKey(file)) {
            served = data.clone();
            served[served.length / 2] ^= 0x5a;
        }
        long start = 0;
        String range = ignoreRanges ? null : exchange.getRequestHeaders().getFirst("Range");
        if (range != null && range.startsWith("bytes=") && range.endsWith("-")) {
            start = Long.parseLong(range.substring("bytes=".length(), range.length() - 1));
            if (start >= served.length) {
                exchange.getResponseHeaders().add("Content-Range", "bytes */" + served.length);
                exchange.sendResponseHeaders(416, -1);
                return;
            }
            exchange.getResponseHeaders().add("Content-Range", "bytes " + start + "-" + (served.length - 1) + "/" + served.length);
        }
        long length = served.length - start;
        if ("HEAD".equals(exchange.getRequestMethod())) {
            exchange.getResponseHeaders().add("Content-Length", Long.toString(length));
            exchange.sendResponseHeaders(range != null ? 206 : 200, -1);
            return;
        }
        exchange.sendResponseHeaders(range != null ? 206 : 200, length);
        OutputStream body = exchange.getResponseBody();
        Long dropAfter = dropOnce.remove(file);
        if (dropAfter != null) {
            body.write(served, (int) start, (int) dropAfter.longValue());
            body.flush();
            // Close the socket under the half-sent body: the client sees the connection end mid-file.
            throw new IOException("test: connection dropped on purpose after " + dropAfter + " bytes");
        }
        body.write(served, (int) start, (int) length);
    }

    private static void error(HttpExchange exchange, int status, String code) throws IOException {
        exchange.getResponseHeaders().add("X-Error-Code", code);
        exchange.getResponseHeaders().add("X-Error-Message", code.replaceAll("([a-z])([A-Z])", "$1 $2").toLowerCase());
        exchange.sendResponseHeaders(status, -1);
    }
}
