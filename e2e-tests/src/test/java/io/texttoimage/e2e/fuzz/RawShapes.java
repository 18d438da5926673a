package io.texttoimage.e2e.fuzz;

import io.texttoimage.e2e.fuzz.Credentials.Kind;
import io.texttoimage.e2e.fuzz.FuzzRequest.Expect;
import io.texttoimage.e2e.fuzz.FuzzRequest.Header;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.UUID;

/**
 * Requests written byte by byte for a plain socket: the shapes java.net.http will not send — a body without
 * Content-Type, duplicate and conflicting headers, bad chunking, oversized headers, non-ASCII bytes in the path or
 * a header, odd request lines. Each asks for {@code Connection: close}, so the answer ends with the connection.
 */
final class RawShapes {
    private RawShapes() {
    }

    static FuzzRequest next(int index, SplittableRandom random, Kind credential, List<Header> auth) {
        String images = RequestGenerator.IMAGES;
        byte[] valid = Bodies.object(Bodies.mutated(random, Ledger.marker(index)));
        List<Header> headers = new ArrayList<>(auth);
        int shape = random.nextInt(17);
        return switch (shape) {
            case 0 -> raw(index, "raw: no Content-Type", "POST", images, headers, valid, Expect.JSON, credential,
                    false);
            case 1 -> {
                headers.add(new Header("Content-Type", "application/json"));
                headers.add(new Header("Content-Type", random.nextBoolean() ? "text/plain" : "application/json"));
                yield raw(index, "raw: duplicate Content-Type", "POST", images, headers, valid, Expect.JSON,
                        credential, false);
            }
            case 2 -> {
                headers.add(new Header("Authorization", "Bearer " + Credentials.randomKey(random)));
                yield raw(index, "raw: duplicate Authorization", "GET", "/capabilities", headers, null, Expect.JSON,
                        credential, false);
            }
            case 3 -> framing(index, "raw: conflicting Content-Length", images, headers, valid, credential,
                    "Content-Length: " + valid.length + "\r\nContent-Length: " + (valid.length + 3) + "\r\n",
                    valid);
            case 4 -> framing(index, "raw: bad chunking", images, headers, valid, credential,
                    "Transfer-Encoding: chunked\r\n", badChunks(random, valid));
            case 5 -> framing(index, "raw: chunked and Content-Length", images, headers, valid, credential,
                    "Transfer-Encoding: chunked\r\nContent-Length: 4\r\n", goodChunks(valid));
            case 6 -> {
                headers.add(new Header("X-Fuzz", "h".repeat(17_000 + random.nextInt(20_000))));
                yield raw(index, "raw: oversized header", "GET", images, headers, null, Expect.JSON, credential,
                        true);
            }
            case 7 -> {
                for (int i = 0; i < 200 + random.nextInt(1500); i++) {
                    headers.add(new Header("X-Many-" + i, "v"));
                }
                yield raw(index, "raw: many headers", "GET", "/workers", headers, null, Expect.JSON, credential,
                        true);
            }
            case 8 -> raw(index, "raw: non-ASCII path", "GET", images + "/" + pick(random, "é", "😀", "\u202e",
                    "ü/../x", "%ZZ\u00ff"), headers, null, Expect.JSON, credential, true);
            case 9 -> {
                headers.add(new Header(pick(random, "Idempotency-Key", "Last-Event-ID", "Authorization", "Accept"),
                        pick(random, "ü", "٣", "😀", "a\u0000b", "\u00ff\u00fe")));
                yield raw(index, "raw: non-ASCII header", "GET", images + "/" + UUID.randomUUID() + "/events",
                        headers, null, Expect.SSE, credential, true);
            }
            case 10 -> rawLine(index, "raw: HTTP/1.0 without Host", "GET " + images + " HTTP/1.0\r\n", headers,
                    credential);
            case 11 -> rawLine(index, "raw: absolute-form target", "GET http://evil.invalid" + images
                    + " HTTP/1.1\r\nHost: 127.0.0.1\r\n", headers, credential);
            case 12 -> rawLine(index, "raw: odd method", pick(random, "get", "FOO", "G\u00c9T", "") + " " + images
                    + " HTTP/1.1\r\nHost: 127.0.0.1\r\n", headers, credential);
            case 13 -> rawLine(index, "raw: odd version", "GET " + images + " " + pick(random, "HTTP/2.0",
                    "HTTP/1.1 extra", "HTTP/9", "http/1.1", "") + "\r\nHost: 127.0.0.1\r\n", headers, credential);
            case 14 -> {
                headers.add(new Header("Content-Type", "application/json"));
                headers.add(new Header("Expect", "100-continue"));
                yield raw(index, "raw: Expect 100-continue", "POST", images, headers, valid, Expect.JSON, credential,
                        false);
            }
            case 15 -> {
                headers.add(new Header("Content-Type", "application/json"));
                headers.add(new Header("Content-Encoding", pick(random, "gzip", "br", "x-unknown")));
                yield raw(index, "raw: unsupported Content-Encoding", "POST", images, headers, valid, Expect.JSON,
                        credential, false);
            }
            default -> rawLine(index, "raw: header without colon", "GET /capabilities HTTP/1.1\r\nHost: 127.0.0.1"
                    + "\r\nthis is not a header\r\n", headers, credential);
        };
    }

    /** A request that java.net.http cannot carry (its target), sent the plain way over a socket instead. */
    static FuzzRequest asRaw(int index, String endpoint, String method, String target, List<Header> headers,
                             byte[] body, Expect expect, Kind credential, String jobId, boolean malformed) {
        return new FuzzRequest(index, endpoint, method, target, headers, body, true, expect, credential, jobId,
                malformed, bytes(method, target, headers, body));
    }

    private static FuzzRequest raw(int index, String endpoint, String method, String target, List<Header> headers,
                                   byte[] body, Expect expect, Kind credential, boolean malformed) {
        return asRaw(index, endpoint, method, target, headers, body, expect, credential, null, malformed);
    }

    private static FuzzRequest framing(int index, String endpoint, String target, List<Header> headers, byte[] body,
                                       Kind credential, String framing, byte[] payload) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(head("POST", target, headers));
        out.writeBytes(("Content-Type: application/json\r\n" + framing + "\r\n").getBytes(StandardCharsets.UTF_8));
        out.writeBytes(payload);
        return new FuzzRequest(index, endpoint, "POST", target, headers, body, true, Expect.JSON, credential, null,
                true, out.toByteArray());
    }

    private static FuzzRequest rawLine(int index, String endpoint, String requestLine, List<Header> headers,
                                       Kind credential) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(requestLine.getBytes(StandardCharsets.UTF_8));
        for (Header header : headers) {
            out.writeBytes((header.name() + ": " + header.value() + "\r\n").getBytes(StandardCharsets.UTF_8));
        }
        out.writeBytes("Connection: close\r\n\r\n".getBytes(StandardCharsets.UTF_8));
        return new FuzzRequest(index, endpoint, "GET", "(raw)", headers, null, true, Expect.ANY, credential, null,
                true, out.toByteArray());
    }

    static byte[] bytes(String method, String target, List<Header> headers, byte[] body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(head(method, target, headers));
        if (body != null) {
            out.writeBytes(("Content-Length: " + body.length + "\r\n").getBytes(StandardCharsets.UTF_8));
        }
        out.writeBytes("\r\n".getBytes(StandardCharsets.UTF_8));
        if (body != null) {
            out.writeBytes(body);
        }
        return out.toByteArray();
    }

    /** The request line and headers; every raw request closes its connection after the answer. */
    private static byte[] head(String method, String target, List<Header> headers) {
        StringBuilder head = new StringBuilder(method).append(' ').append(target).append(" HTTP/1.1\r\n")
                .append("Host: 127.0.0.1\r\n");
        for (Header header : headers) {
            head.append(header.name()).append(": ").append(header.value()).append("\r\n");
        }
        head.append("Connection: close\r\n");
        return head.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] goodChunks(byte[] body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes((Integer.toHexString(body.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(body);
        out.writeBytes("\r\n0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    private static byte[] badChunks(SplittableRandom random, byte[] body) {
        String text = new String(body, StandardCharsets.UTF_8);
        return (switch (random.nextInt(5)) {
            case 0 -> "zz\r\n" + text + "\r\n0\r\n\r\n"; // not hex
            case 1 -> Integer.toHexString(body.length + 10) + "\r\n" + text + "\r\n0\r\n\r\n"; // size too large
            case 2 -> "-5\r\n" + text + "\r\n0\r\n\r\n";
            case 3 -> "ffffffffffffffff\r\n" + text + "\r\n0\r\n\r\n"; // overflow
            default -> Integer.toHexString(body.length) + ";ext=\"unterminated\r\n" + text + "\r\n0\r\n\r\n";
        }).getBytes(StandardCharsets.UTF_8);
    }

    private static String pick(SplittableRandom random, String... options) {
        return options[random.nextInt(options.length)];
    }
}
