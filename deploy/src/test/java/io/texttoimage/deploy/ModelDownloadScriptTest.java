package io.texttoimage.deploy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the model-download Job's script (deploy/k8s/base/model-download.py) against a local stand-in for the
 * Hugging Face Hub API that serves the tiny SD model from testdata, including the redirect to a CDN host.
 */
class ModelDownloadScriptTest {
    static final Path SCRIPT = Manifests.k8s().resolve("base/model-download.py");
    static final Path MODEL = Manifests.repositoryRoot().resolve("testdata/sd-reference/model");
    static final String REPO = "test-org/tiny-sd";
    static final String SHA = "0123456789abcdef0123456789abcdef01234567";
    static final String TOKEN = "test-token-not-a-secret";

    @TempDir
    Path cache;
    HttpServer hub;
    final List<String> requests = new CopyOnWriteArrayList<>();
    final List<String> tokensSeenByCdn = new CopyOnWriteArrayList<>();
    volatile boolean corruptDownloads;

    @BeforeEach
    void startHub() throws IOException {
        assumeTrue(python3Runs(), "skipped: `python3 --version` does not run here (no python3 on the PATH, or a"
                + " broken one), so " + SCRIPT + " cannot be run; .ci/run installs python3, elsewhere install it");
        hub = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        hub.createContext("/api/models/", this::repositoryInfo);
        hub.createContext("/" + REPO + "/resolve/", this::resolve);
        hub.createContext("/cdn/", this::cdn);
        hub.start();
    }

    @AfterEach
    void stopHub() {
        if (hub != null) {
            hub.stop(0);
        }
    }

    @Test
    void downloadsTheSelectedFilesVerifiesThemAndPointsCurrentAtTheSnapshot() throws Exception {
        assertEquals(0, runScript(), "first run");

        Path current = cache.resolve("current");
        assertTrue(Files.isSymbolicLink(current));
        assertEquals(Path.of("snapshots", "test-org--tiny-sd", SHA), Files.readSymbolicLink(current),
                "relative link, valid wherever the volume is mounted");
        int downloaded = 0;
        for (Path file : modelFiles()) {
            String relative = MODEL.relativize(file).toString();
            if (relative.startsWith("vae_encoder/")) {
                // text-to-image never encodes an image: the pipeline does not load it, so it is not fetched
                assertFalse(Files.exists(current.resolve(relative)), relative);
                continue;
            }
            assertArrayEquals(Files.readAllBytes(file), Files.readAllBytes(current.resolve(relative)), relative);
            downloaded++;
        }
        assertEquals(12, downloaded, "model_index, scheduler, 4 tokenizer files, 3 graphs + their configs");
        for (String skipped : List.of("README.md", "unet/model_fp16.onnx", "unet/model_fp16.onnx_data",
                "safety_checker/model.onnx", "vae_encoder/model.onnx")) {
            assertFalse(Files.exists(current.resolve(skipped)), skipped);
            assertFalse(requests.stream().anyMatch(r -> r.endsWith(skipped)), skipped + " was requested: " + requests);
        }
        assertTrue(requests.get(0).startsWith("/api/models/" + REPO + "/revision/main"), requests.get(0));
        assertTrue(tokensSeenByCdn.stream().allMatch(String::isEmpty), "the Hub token leaked to the CDN: " + tokensSeenByCdn);
        assertTrue(Files.isRegularFile(current.resolve(".complete")));

        requests.clear();
        assertEquals(0, runScript(), "second run");
        assertEquals(1, requests.size(), "a complete snapshot is not downloaded again: " + requests);
    }

    @Test
    void aCorruptDownloadFailsTheJobAndLeavesNoCurrentLink() throws Exception {
        corruptDownloads = true;
        assertEquals(1, runScript());
        assertFalse(Files.exists(cache.resolve("current"), java.nio.file.LinkOption.NOFOLLOW_LINKS));
        try (Stream<Path> files = Files.walk(cache)) {
            assertFalse(files.anyMatch(f -> f.getFileName().toString().equals(".complete")));
        }
    }

    // ---- the script ------------------------------------------------------------------------------------------

    int runScript() throws Exception {
        ProcessBuilder builder = new ProcessBuilder("python3", SCRIPT.toString()).redirectErrorStream(true);
        Map<String, String> env = builder.environment();
        env.put("MODEL_REPO", REPO);
        env.put("MODEL_REVISION", "main");
        env.put("MODEL_CACHE_DIR", cache.toString());
        env.put("HF_ENDPOINT", "http://127.0.0.1:" + hub.getAddress().getPort());
        env.put("HF_TOKEN", TOKEN);
        String kustomization = Files.readString(Manifests.k8s().resolve("base/kustomization.yaml"));
        env.put("MODEL_INCLUDE", literal(kustomization, "MODEL_INCLUDE"));
        env.put("MODEL_EXCLUDE", literal(kustomization, "MODEL_EXCLUDE"));
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "script hung:\n" + output);
        System.out.println(output);
        return process.exitValue();
    }

    /** The value the base kustomization gives a model-config literal, so the test uses the shipped globs. */
    static String literal(String kustomization, String key) {
        return kustomization.lines().map(String::strip).filter(l -> l.startsWith("- " + key + "="))
                .map(l -> l.substring(key.length() + 3)).findFirst().orElseThrow(() -> new AssertionError(key));
    }

    // ---- the stand-in Hub --------------------------------------------------------------------------------------

    List<Path> modelFiles() throws IOException {
        try (Stream<Path> files = Files.walk(MODEL)) {
            return files.filter(Files::isRegularFile).sorted().toList();
        }
    }

    void repositoryInfo(HttpExchange exchange) throws IOException {
        requests.add(exchange.getRequestURI().toString());
        if (!("Bearer " + TOKEN).equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
            send(exchange, 401, "{\"error\":\"token missing\"}".getBytes(StandardCharsets.UTF_8));
            return;
        }
        List<Map<String, Object>> siblings = new ArrayList<>();
        for (Path file : modelFiles()) {
            byte[] bytes = Files.readAllBytes(file);
            Map<String, Object> sibling = new LinkedHashMap<>();
            sibling.put("rfilename", MODEL.relativize(file).toString());
            if (file.toString().endsWith(".onnx")) {
                sibling.put("lfs", Map.of("size", bytes.length, "sha256", sha256(bytes)));
            } else {
                sibling.put("size", bytes.length);
            }
            siblings.add(sibling);
        }
        siblings.add(Map.of("rfilename", "README.md", "size", 5));
        // What real repositories also hold, and the pipeline does not need.
        siblings.add(Map.of("rfilename", "unet/model_fp16.onnx", "size", 5));
        siblings.add(Map.of("rfilename", "unet/model_fp16.onnx_data", "size", 5));
        siblings.add(Map.of("rfilename", "safety_checker/model.onnx", "size", 5));
        byte[] body = new ObjectMapper().writeValueAsBytes(Map.of("id", REPO, "sha", SHA, "siblings", siblings));
        send(exchange, 200, body);
    }

    void resolve(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        requests.add(path);
        String prefix = "/" + REPO + "/resolve/" + SHA + "/";
        if (!path.startsWith(prefix)) {
            send(exchange, 404, new byte[0]);
            return;
        }
        String file = path.substring(prefix.length());
        if (file.endsWith(".onnx")) {
            // Large files live on a CDN: the Hub answers with a redirect, as the real one does.
            exchange.getResponseHeaders().add("Location", "/cdn/" + file);
            send(exchange, 302, new byte[0]);
            return;
        }
        serve(exchange, file);
    }

    void cdn(HttpExchange exchange) throws IOException {
        requests.add(exchange.getRequestURI().getPath());
        String auth = exchange.getRequestHeaders().getFirst("Authorization");
        tokensSeenByCdn.add(auth == null ? "" : auth);
        serve(exchange, exchange.getRequestURI().getPath().substring("/cdn/".length()));
    }

    void serve(HttpExchange exchange, String file) throws IOException {
        Path source = MODEL.resolve(file).normalize();
        if (!source.startsWith(MODEL) || !Files.isRegularFile(source)) {
            send(exchange, 404, new byte[0]);
            return;
        }
        byte[] bytes = Files.readAllBytes(source);
        if (corruptDownloads) {
            bytes = bytes.clone();
            bytes[bytes.length / 2] ^= 0x5A;
        }
        send(exchange, 200, bytes);
    }

    static void send(HttpExchange exchange, int status, byte[] body) throws IOException {
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            exchange.getResponseBody().write(body);
        }
        exchange.close();
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    /** Runs it rather than looking on the PATH: a pyenv shim is on the PATH even where no python3 is installed. */
    static boolean python3Runs() {
        try {
            Process process = new ProcessBuilder("python3", "--version").redirectErrorStream(true).start();
            process.getInputStream().readAllBytes();
            return process.waitFor(30, TimeUnit.SECONDS) && process.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
