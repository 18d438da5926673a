package io.texttoimage.e2e.fuzz;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Sends a {@link FuzzRequest} and reads its answer: through java.net.http, or over a plain socket for the raw ones.
 * An SSE answer is read only for a moment (its first events), then the stream is closed: the fuzzer checks how a
 * stream opens, not how it goes on.
 */
final class HttpTransport {
    static final int MAX_BODY = 1 << 20;
    static final Duration TIMEOUT = Duration.ofSeconds(20);
    static final Duration SSE_READ = Duration.ofMillis(300);
    static final int RAW_TIMEOUT_MS = 4_000;

    /** The answer; {@code status} -1 with {@code failure} when none came (connection closed, timeout). */
    record Answer(int status, Map<String, List<String>> headers, byte[] body, String failure, long millis) {
        String header(String name) {
            List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
            return values == null || values.isEmpty() ? null : values.getFirst();
        }

        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    private final HttpClient client;
    private final URI base;
    final java.util.concurrent.atomic.AtomicInteger staleConnectionRetries = new java.util.concurrent.atomic.AtomicInteger();

    HttpTransport(URI base) {
        this.base = base;
        this.client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).followRedirects(HttpClient.Redirect.NEVER).build();
    }

    HttpClient client() {
        return client;
    }

    /** Whether java.net.http can send this target as it is (it refuses some odd but legal request targets). */
    static boolean acceptsUri(String target) {
        try {
            URI uri = URI.create("http://127.0.0.1" + target);
            HttpRequest.newBuilder(uri);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    Answer send(FuzzRequest request) {
        long start = System.nanoTime();
        try {
            return request.raw() ? sendRaw(request, start) : sendHttp(request, start);
        } catch (IOException e) {
            return new Answer(-1, Map.of(), new byte[0], e.toString(), elapsed(start));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Answer(-1, Map.of(), new byte[0], "interrupted", elapsed(start));
        } catch (IllegalArgumentException e) {
            // a header java.net.http will not send: the same request goes out over a socket instead
            return sendRawSafely(RawShapes.asRaw(request.index(), request.endpoint(), request.method(),
                    request.target(), request.headers(), request.body(), request.expect(), request.credential(),
                    request.jobId(), request.malformed()), start);
        }
    }

    private Answer sendRawSafely(FuzzRequest request, long start) {
        try {
            return sendRaw(request, start);
        } catch (IOException e) {
            return new Answer(-1, Map.of(), new byte[0], e.toString(), elapsed(start));
        }
    }

    private Answer sendHttp(FuzzRequest request, long start) throws IOException, InterruptedException {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(base.toString().replaceAll("/$", "")
                + request.target())).timeout(TIMEOUT);
        for (FuzzRequest.Header header : request.headers()) {
            builder.header(header.name(), header.value());
        }
        HttpRequest.BodyPublisher body = request.body() == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofByteArray(request.body());
        builder.method(request.method(), body);
        HttpResponse<InputStream> response;
        try {
            response = client.send(builder.build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException e) {
            if (!String.valueOf(e.getMessage()).contains("received no bytes")) {
                throw e;
            }
            // a pooled keep-alive connection the gateway had just closed: RFC 9112 9.3.1 lets a client retry then
            staleConnectionRetries.incrementAndGet();
            response = client.send(builder.build(), HttpResponse.BodyHandlers.ofInputStream());
        }
        Map<String, List<String>> headers = new LinkedHashMap<>();
        response.headers().map().forEach((name, values) -> headers.put(name.toLowerCase(Locale.ROOT), values));
        String contentType = response.headers().firstValue("content-type").orElse("");
        byte[] bytes;
        try (InputStream in = response.body()) {
            bytes = contentType.startsWith("text/event-stream") ? readFor(in, SSE_READ) : in.readNBytes(MAX_BODY);
        }
        return new Answer(response.statusCode(), headers, bytes, null, elapsed(start));
    }

    /** What arrives within {@code window}: enough for an SSE stream's first events; then the stream is closed. */
    private static byte[] readFor(InputStream in, Duration window) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long deadline = System.nanoTime() + window.toNanos();
        byte[] buffer = new byte[4096];
        while (System.nanoTime() < deadline && out.size() < MAX_BODY) {
            if (in.available() > 0) {
                int read = in.read(buffer);
                if (read < 0) {
                    break;
                }
                out.write(buffer, 0, read);
            } else {
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        return out.toByteArray();
    }

    private Answer sendRaw(FuzzRequest request, long start) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(base.getHost(), base.getPort()), 10_000);
            socket.setSoTimeout(RAW_TIMEOUT_MS);
            try {
                socket.getOutputStream().write(request.rawBytes());
                socket.getOutputStream().flush();
            } catch (IOException closedWhileWriting) {
                // the gateway may answer (413, 431) and close before the whole request is written: read what it said
            }
            ByteArrayOutputStream received = new ByteArrayOutputStream();
            byte[] buffer = new byte[8192];
            long deadline = System.nanoTime() + Duration.ofMillis(RAW_TIMEOUT_MS).toNanos();
            try {
                InputStream in = socket.getInputStream();
                int read;
                while (received.size() < MAX_BODY && System.nanoTime() < deadline && (read = in.read(buffer)) >= 0) {
                    received.write(buffer, 0, read);
                    if (isSse(received) && received.size() > 0 && elapsed(start) > SSE_READ.toMillis()) {
                        break;
                    }
                }
            } catch (SocketTimeoutException | java.net.SocketException e) {
                if (received.size() == 0) {
                    return new Answer(-1, Map.of(), new byte[0], e.toString(), elapsed(start));
                }
            }
            return parse(received.toByteArray(), start);
        }
    }

    private static boolean isSse(ByteArrayOutputStream received) {
        String head = received.toString(StandardCharsets.ISO_8859_1);
        int end = head.indexOf("\r\n\r\n");
        return end > 0 && head.substring(0, end).toLowerCase(Locale.ROOT).contains("content-type: text/event-stream");
    }

    /** The status line, headers and (de-chunked) body of a raw answer. */
    static Answer parse(byte[] bytes, long start) {
        String all = new String(bytes, StandardCharsets.ISO_8859_1);
        while (all.startsWith("HTTP/1.1 100") && all.indexOf("\r\n\r\n") > 0) { // an interim answer: the real one follows
            int skip = all.indexOf("\r\n\r\n") + 4;
            bytes = java.util.Arrays.copyOfRange(bytes, skip, bytes.length);
            all = all.substring(skip);
        }
        int end = all.indexOf("\r\n\r\n");
        if (!all.startsWith("HTTP/") || end < 0) {
            return new Answer(-1, Map.of(), bytes, bytes.length == 0 ? "connection closed without an answer"
                    : "not an HTTP answer: " + all.substring(0, Math.min(80, all.length())), elapsed(start));
        }
        String[] lines = all.substring(0, end).split("\r\n");
        int status;
        try {
            status = Integer.parseInt(lines[0].split(" ")[1]);
        } catch (RuntimeException e) {
            return new Answer(-1, Map.of(), bytes, "bad status line: " + lines[0], elapsed(start));
        }
        Map<String, List<String>> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) {
                headers.computeIfAbsent(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
                        k -> new ArrayList<>()).add(lines[i].substring(colon + 1).trim());
            }
        }
        byte[] body = java.util.Arrays.copyOfRange(bytes, end + 4, bytes.length);
        List<String> encoding = headers.get("transfer-encoding");
        if (encoding != null && encoding.getFirst().toLowerCase(Locale.ROOT).contains("chunked")) {
            body = dechunk(body);
        }
        return new Answer(status, headers, body, null, elapsed(start));
    }

    private static byte[] dechunk(byte[] body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int at = 0;
        while (at < body.length) {
            int lineEnd = indexOf(body, at);
            if (lineEnd < 0) {
                break;
            }
            String sizeText = new String(body, at, lineEnd - at, StandardCharsets.US_ASCII).split(";")[0].trim();
            int size;
            try {
                size = Integer.parseInt(sizeText, 16);
            } catch (NumberFormatException e) {
                break;
            }
            if (size == 0) {
                break;
            }
            int from = lineEnd + 2;
            int length = Math.min(size, body.length - from);
            out.write(body, from, Math.max(0, length));
            at = from + size + 2;
        }
        return out.toByteArray();
    }

    private static int indexOf(byte[] bytes, int from) {
        for (int i = from; i + 1 < bytes.length; i++) {
            if (bytes[i] == '\r' && bytes[i + 1] == '\n') {
                return i;
            }
        }
        return -1;
    }

    private static long elapsed(long start) {
        return (System.nanoTime() - start) / 1_000_000;
    }
}
