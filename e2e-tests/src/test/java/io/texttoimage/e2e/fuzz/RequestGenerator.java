package io.texttoimage.e2e.fuzz;

import io.texttoimage.e2e.fuzz.Credentials.Kind;
import io.texttoimage.e2e.fuzz.FuzzRequest.Expect;
import io.texttoimage.e2e.fuzz.FuzzRequest.Header;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.UUID;

/**
 * Makes request number {@code i} of a run from the seed alone ({@link #random(long, int)}): which endpoint, method,
 * credential, headers and body. Where a request names a job of the {@link Ledger}, which job depends on what the
 * gateway created so far (its ids are random), so a reproduced request is the same shape against another job.
 */
final class RequestGenerator {
    static final String IMAGES = "/generated-images";
    /** Below the default quota of 120 submissions per minute, so most valid submissions are still accepted. */
    static final int VALID_SUBMISSIONS_PER_MINUTE = 90;
    /** The gateway's quarkus.http.limits.max-initial-line-length. */
    static final int MAX_INITIAL_LINE = 4096;

    private final long seed;
    private final Credentials credentials;
    private final Ledger ledger;
    private final Map<Kind, Deque<Long>> validSubmissions = new EnumMap<>(Kind.class);
    private final List<String> usedIdempotencyKeys = new ArrayList<>();

    RequestGenerator(long seed, Credentials credentials, Ledger ledger) {
        this.seed = seed;
        this.credentials = credentials;
        this.ledger = ledger;
    }

    static SplittableRandom random(long seed, int index) {
        return new SplittableRandom(seed * 0x9E3779B97F4A7C15L + index * 0xBF58476D1CE4E5B9L + index);
    }

    synchronized FuzzRequest next(int index) {
        SplittableRandom random = random(seed, index);
        Kind credential = credential(random);
        int roll = random.nextInt(1000);
        if (roll < 140) {
            return submit(index, random, credential);
        } else if (roll < 220) {
            return malformedSubmit(index, random, credential);
        } else if (roll < 260) {
            return contentTypes(index, random, credential);
        } else if (roll < 340) {
            return list(index, random, credential);
        } else if (roll < 430) {
            return byId(index, random, credential, "GET", "", Expect.JSON);
        } else if (roll < 500) {
            return events(index, random, credential);
        } else if (roll < 550) {
            return byId(index, random, credential, "GET", "/url", Expect.JSON);
        } else if (roll < 630) {
            return byId(index, random, credential, "DELETE", "", Expect.JSON);
        } else if (roll < 650) {
            return byId(index, random, credential, "POST", "/stream-token", Expect.JSON);
        } else if (roll < 690) {
            return simple(index, random, credential, "GET", random.nextBoolean() ? "/capabilities" : "/workers",
                    Expect.JSON);
        } else if (roll < 720) {
            return admin(index, random, credential);
        } else if (roll < 745) {
            return simple(index, random, credential, "GET", STATIC[random.nextInt(STATIC.length)], Expect.ANY);
        } else if (roll < 800) {
            return oddPath(index, random, credential);
        } else if (roll < 850) {
            return otherMethod(index, random, credential);
        } else if (roll < 880) {
            return oversized(index, random, credential);
        }
        return RawShapes.next(index, random, credential, headersFor(random, credential, false));
    }

    private Kind credential(SplittableRandom random) {
        int roll = random.nextInt(100);
        if (roll < 30) {
            return Kind.OWNER_A;
        } else if (roll < 55) {
            return Kind.OWNER_B;
        } else if (roll < 63) {
            return Kind.ADMIN;
        } else if (roll < 75) {
            return Kind.NONE;
        } else if (roll < 83) {
            return Kind.GARBLED;
        } else if (roll < 88) {
            return Kind.WRONG_PREFIX;
        } else if (roll < 94) {
            return Kind.REVOKED;
        }
        return Kind.EXPIRED;
    }

    /** Authorization (by kind) and now and then an odd Accept or Accept-Encoding. */
    List<Header> headersFor(SplittableRandom random, Kind credential, boolean json) {
        List<Header> headers = new ArrayList<>();
        credentials.authorization(credential, random).ifPresent(value -> headers.add(new Header("Authorization",
                value)));
        if (json) {
            headers.add(new Header("Content-Type", "application/json"));
        }
        if (random.nextInt(7) == 0) {
            headers.add(new Header("Accept", ACCEPTS[random.nextInt(ACCEPTS.length)]));
        }
        if (random.nextInt(20) == 0) {
            headers.add(new Header("Accept-Encoding", random.nextBoolean() ? "gzip, deflate, br" : "identity;q=0"));
        }
        if (random.nextInt(30) == 0) {
            headers.add(new Header("X-Forwarded-For", "127.0.0.1, " + "9".repeat(random.nextInt(300))));
        }
        return headers;
    }

    private FuzzRequest submit(int index, SplittableRandom random, Kind credential) {
        String marker = Ledger.marker(index);
        int shape = random.nextInt(10);
        Map<String, String> fields;
        if (shape < 4 && allowValid(credential)) {
            fields = Bodies.validFields(random, marker);
        } else if (shape < 7 && allowValid(credential)) {
            fields = Bodies.unicodePrompt(random, marker);
        } else {
            fields = Bodies.mutated(random, marker);
        }
        List<Header> headers = headersFor(random, credential, true);
        idempotencyKey(random).ifPresent(key -> headers.add(new Header("Idempotency-Key", key)));
        return http(index, "POST " + IMAGES, "POST", IMAGES, headers, Bodies.object(fields), Expect.JSON, credential,
                null);
    }

    /** Whether a valid submission of this owner is still within its budget of the last minute (else: mutated). */
    private boolean allowValid(Kind credential) {
        Kind owner = credentials.ownersDistinct() ? credential : Kind.NONE;
        Deque<Long> times = validSubmissions.computeIfAbsent(owner, k -> new ArrayDeque<>());
        long now = System.nanoTime();
        while (!times.isEmpty() && now - times.peekFirst() > 60_000_000_000L) {
            times.removeFirst();
        }
        if (times.size() >= VALID_SUBMISSIONS_PER_MINUTE) {
            return false;
        }
        times.addLast(now);
        return true;
    }

    private Optional<String> idempotencyKey(SplittableRandom random) {
        int roll = random.nextInt(20);
        if (roll > 3) {
            return Optional.empty();
        }
        String key = switch (roll) {
            case 0 -> UUID.randomUUID().toString();
            case 1 -> usedIdempotencyKeys.isEmpty() ? "" : usedIdempotencyKeys.get(random.nextInt(
                    usedIdempotencyKeys.size())); // a replay, usually with another body: 422
            case 2 -> "k".repeat(250 + random.nextInt(10)); // around the 255 limit
            default -> random.nextBoolean() ? "" : "with space\ttab";
        };
        if (roll == 0 && usedIdempotencyKeys.size() < 50) {
            usedIdempotencyKeys.add(key);
        }
        return Optional.of(key);
    }

    private FuzzRequest malformedSubmit(int index, SplittableRandom random, Kind credential) {
        return http(index, "POST " + IMAGES, "POST", IMAGES, headersFor(random, credential, true),
                Bodies.structural(random, Ledger.marker(index)), Expect.JSON, credential, null);
    }

    private FuzzRequest contentTypes(int index, SplittableRandom random, Kind credential) {
        List<Header> headers = headersFor(random, credential, false);
        headers.add(new Header("Content-Type", CONTENT_TYPES[random.nextInt(CONTENT_TYPES.length)]));
        byte[] body = Bodies.object(Bodies.mutated(random, Ledger.marker(index)));
        return http(index, "POST " + IMAGES, "POST", IMAGES, headers, body, Expect.JSON, credential, null);
    }

    private FuzzRequest oversized(int index, SplittableRandom random, Kind credential) {
        return http(index, "POST " + IMAGES, "POST", IMAGES, headersFor(random, credential, true),
                Bodies.oversized(random, Ledger.marker(index)), Expect.JSON, credential, null);
    }

    private FuzzRequest list(int index, SplittableRandom random, Kind credential) {
        String query = switch (random.nextInt(5)) {
            case 0 -> "";
            case 1 -> "?page=" + pick(random, PAGING);
            case 2 -> "?size=" + pick(random, PAGING);
            case 3 -> "?page=" + pick(random, PAGING) + "&size=" + pick(random, PAGING);
            default -> "?" + pick(random, QUERIES);
        };
        return http(index, "GET " + IMAGES, "GET", IMAGES + query, headersFor(random, credential, false), null,
                Expect.JSON, credential, null);
    }

    private FuzzRequest events(int index, SplittableRandom random, Kind credential) {
        FuzzRequest base = byId(index, random, credential, "GET", "/events", Expect.SSE);
        List<Header> headers = new ArrayList<>(base.headers());
        if (random.nextBoolean()) {
            headers.add(new Header("Last-Event-ID", pick(random, LAST_EVENT_IDS)));
        }
        String target = base.target() + (random.nextInt(3) == 0 ? "?previews=" + pick(random, BOOLEANS) : "");
        if (random.nextInt(10) == 0) {
            target += (target.contains("?") ? "&" : "?") + "stream_token=" + pick(random, STREAM_TOKENS);
        }
        return http(index, base.endpoint(), "GET", target, headers, null, Expect.SSE, base.credential(),
                base.jobId());
    }

    /** A request about one job: a known one (the caller's, another owner's, a sentinel), a random UUID, or an odd id. */
    private FuzzRequest byId(int index, SplittableRandom random, Kind credential, String method, String suffix,
                             Expect expect) {
        String endpoint = method + " " + IMAGES + "/{id}" + suffix;
        Kind caller = credential;
        String jobId = null;
        String segment;
        int roll = random.nextInt(100);
        Optional<Ledger.Entry> known = roll < 30 ? ledger.pick(random, credential.isOwner() ? credential : null, false)
                : roll < 50 ? ledger.pick(random, other(credential), false)
                : roll < 60 ? ledger.pick(random, other(credential), true) : Optional.empty();
        if (known.isPresent()) {
            jobId = known.get().id();
            segment = random.nextInt(15) == 0 ? jobId.toUpperCase() : jobId;
            if (known.get().sentinel() && "DELETE".equals(method) && !credential.mustBeRefused()
                    && (credential == known.get().owner() || credential == Kind.ADMIN)) {
                caller = other(known.get().owner()); // a sentinel is only ever cancelled by someone else: it must stay
            }
        } else if (roll < 75) {
            segment = UUID.randomUUID().toString();
        } else {
            segment = oddId(random);
        }
        List<Header> headers = headersFor(random, caller, "POST".equals(method));
        if (DOT_SEGMENTS.contains(segment.toLowerCase(java.util.Locale.ROOT))) {
            expect = Expect.ANY; // RFC 3986 removes it: /generated-images/.. is the web page, not a job
        }
        byte[] body = "POST".equals(method) ? Bodies.utf8(random.nextBoolean() ? "{}" : "") : null;
        return http(index, endpoint, method, IMAGES + "/" + segment + suffix, headers, body, expect, caller, jobId);
    }

    private static Kind other(Kind credential) {
        return credential == Kind.OWNER_A ? Kind.OWNER_B : Kind.OWNER_A;
    }

    static String oddId(SplittableRandom random) {
        int roll = random.nextInt(ODD_IDS.length + 6);
        String uuid = UUID.randomUUID().toString();
        return switch (roll - ODD_IDS.length) {
            case 0 -> "x".repeat(100 + random.nextInt(3000));
            case 1 -> "x".repeat(4100 + random.nextInt(8000)); // past the 4 KiB request line
            case 2 -> uuid.replace("-", "");
            case 3 -> "%7B" + uuid + "%7D";
            case 4 -> uuid + "x";
            case 5 -> uuid + "%00";
            default -> ODD_IDS[roll];
        };
    }

    private FuzzRequest simple(int index, SplittableRandom random, Kind credential, String method, String target,
                               Expect expect) {
        String query = random.nextInt(10) == 0 ? "?" + pick(random, QUERIES) : "";
        return http(index, method + " " + target.replaceAll("\\?.*", ""), method, target + query,
                headersFor(random, credential, false), null, expect, credential, null);
    }

    private FuzzRequest admin(int index, SplittableRandom random, Kind credential) {
        int roll = random.nextInt(4);
        if (roll == 0) {
            return http(index, "GET /admin/api-keys", "GET", "/admin/api-keys", headersFor(random, credential, false),
                    null, Expect.JSON, credential, null);
        } else if (roll == 1) {
            String id = random.nextBoolean() ? UUID.randomUUID().toString() : oddId(random); // never a key in use
            return http(index, "DELETE /admin/api-keys/{id}", "DELETE", "/admin/api-keys/" + id,
                    headersFor(random, credential, false), null, Expect.JSON, credential, null);
        }
        // An admin caller with a valid body would create a key: harmless, and also fuzzed.
        byte[] body = Bodies.utf8(pick(random, ADMIN_BODIES));
        return http(index, "POST /admin/api-keys", "POST", "/admin/api-keys", headersFor(random, credential, true),
                body, Expect.JSON, credential, null);
    }

    private FuzzRequest oddPath(int index, SplittableRandom random, Kind credential) {
        String path = random.nextInt(4) == 0 ? IMAGES + "/" + oddId(random) + pick(random, SUFFIXES)
                : pick(random, ODD_PATHS);
        return http(index, "odd path", "GET", path, headersFor(random, credential, false), null, Expect.ANY,
                credential, null);
    }

    private FuzzRequest otherMethod(int index, SplittableRandom random, Kind credential) {
        String method = pick(random, METHODS);
        String target = switch (random.nextInt(4)) {
            case 0 -> IMAGES;
            case 1 -> IMAGES + "/" + UUID.randomUUID();
            case 2 -> IMAGES + "/" + UUID.randomUUID() + "/events";
            default -> random.nextBoolean() ? "/capabilities" : "/workers";
        };
        byte[] body = random.nextBoolean() ? Bodies.object(Bodies.mutated(random, Ledger.marker(index))) : null;
        return http(index, "other method", method, target, headersFor(random, credential, body != null), body,
                Expect.ANY, credential, null);
    }

    static FuzzRequest http(int index, String endpoint, String method, String target, List<Header> headers,
                            byte[] body, Expect expect, Kind credential, String jobId) {
        // Not an RFC 3986 URI (raw non-ASCII bytes, a space, a '%' that starts no %XX escape): java.net.http will not
        // send it, and the gateway's HTTP layer refuses it before any route (a bare 400, see Oracle.codecRejection);
        // nor a request line past quarkus.http.limits.max-initial-line-length (a bare 414).
        boolean notAUri = !target.chars().allMatch(c -> c > 0x20 && c < 0x7f) || !HttpTransport.acceptsUri(target);
        boolean overLineLimit = method.length() + target.length() + " HTTP/1.1".length() + 1 > MAX_INITIAL_LINE;
        return notAUri
                ? RawShapes.asRaw(index, endpoint, method, target, headers, body, expect, credential, jobId, true)
                : new FuzzRequest(index, endpoint, method, target, headers, body, false, expect, credential, jobId,
                overLineLimit, null);
    }

    static String pick(SplittableRandom random, String[] options) {
        return options[random.nextInt(options.length)];
    }

    private static final java.util.Set<String> DOT_SEGMENTS = java.util.Set.of("..", "%2e%2e", ".", "%2e");
    private static final String[] STATIC = {"/", "/index.html", "/app.js", "/app.css", "/favicon.svg", "/q/openapi",
        "/q/openapi?format=json", "/q/swagger-ui", "/q/swagger-ui/", "/nope.js", "/index.html?x=1"};
    private static final String[] ACCEPTS = {"application/json", "*/*", "application/xml", "text/event-stream",
        "text/html", "application/problem+json", "garbage", "application/json;q=0", "image/png", ""};
    private static final String[] CONTENT_TYPES = {"text/plain", "application/xml", "application/json; charset=latin1",
        "application/json;charset=utf-16", "application/merge-patch+json", "application/problem+json",
        "multipart/form-data; boundary=x", "application/x-www-form-urlencoded", "application/json, text/plain",
        "application/", ";;;", "application/json; charset=\"utf-8\"", "APPLICATION/JSON", "application/json;;",
        "application/json; boundary", "*/*", "application/*", "text/event-stream", "application/octet-stream",
        "application/json; charset=" + "x".repeat(500)};
    private static final String[] PAGING = {"-1", "0", "1", "2", "99", "100", "101", "2147483647", "2147483648",
        "-2147483649", "99999999999999999999", "abc", "1.5", "", "%20", "+1", "0x10", "1e3", "%00", "NaN",
        "21474837", "1000000000", "%E2%80%AE1"};
    private static final String[] QUERIES = {"page=1&page=2", "size=10&size=abc", "page", "size=", "=", "&&&",
        "page=0&size=100&extra=1", "page[]=1", "size=%FF", "page=" + "9".repeat(400), "q=" + "x".repeat(3000),
        "page=21474836&size=100", "page=2147483647&size=100", "page=21474835&size=100"};
    private static final String[] LAST_EVENT_IDS = {"", " ", "-1", "0", "1", "abc", "9223372036854775807",
        "9223372036854775808", "1e3", "0x10", "1,2", "  5  ", "9".repeat(1000), "3.0", "+3", "-0", "٣"};
    private static final String[] BOOLEANS = {"true", "false", "TRUE", "yes", "1", "", "%00", "falsey"};
    private static final String[] STREAM_TOKENS = {"", "abc", "a.b.c", "x".repeat(2000), "%00"};
    private static final String[] ODD_IDS = {"..", "%2e%2e", "..%2f..%2fetc%2fpasswd", "%2e%2e%2f%2e%2e%2fq%2fhealth",
        "%252e%252e%252f", "..;", ";jsessionid=1", "%00", "a%00b", "%ff", "%c0%af", "%", "%zz", "'%20OR%201=1--",
        "00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff", "1-1-1-1-1",
        "%F0%9F%98%80", "%E2%80%AE", "-1", "9999999999999999999", "null", "undefined", "%20", "+", "%2F", "%5C",
        "..%5C..%5C", "%u002e", "12345678-1234-1234-1234-1234567890123", "g0000000-0000-0000-0000-000000000000",
        "\u00fc", "\u202e", "caf\u00e9"};
    private static final String[] SUFFIXES = {"", "/events", "/url", "/stream-token", "/", "/events/", "/x",
        "/../capabilities", "/..%2f..%2fworkers"};
    private static final String[] ODD_PATHS = {"//generated-images", "/generated-images/", "/GENERATED-IMAGES",
        "/generated-images/./x", "/generated-images/../capabilities", "/q/health", "/q/metrics", "/q/dev",
        "/q/dev-ui", "/admin", "/admin/", "/admin/../generated-images", "/.env", "/WEB-INF/web.xml",
        "/index.html/..%2f..%2f", "/app.js%00.html", "/%2e%2e/%2e%2e/etc/passwd", "/generated-images%2F",
        "/generated-images;x=1", "/capabilities/", "/workers/x", "/nothing-here", "/generated-images/%2e%2e",
        "/" + "a/".repeat(500), "/\u00e9t\u00e9", "/emoji/\ud83d\ude00", "/generated-images/ with space",
        "/generated-images?page=1#frag", "/favicon.svg?" + "x=1&".repeat(300)};
    private static final String[] METHODS = {"PUT", "PATCH", "OPTIONS", "HEAD", "TRACE", "POST", "DELETE", "GET"};
    private static final String[] ADMIN_BODIES = {"{}", "{\"name\":\"\"}", "{\"name\":\"fuzz-created\"}",
        "{\"name\":\"x\",\"admin\":\"yes\"}", "{\"name\":\"x\",\"limits\":{\"max_active_jobs\":-1}}",
        "{\"name\":\"x\",\"expires_at\":\"not a date\"}", "{\"name\":\"" + "n".repeat(101) + "\"}",
        "{\"name\":\"\\u0000\"}", "[]", "{\"name\":1e400}", "{\"name\":\"x\",\"limits\":{\"images_per_day\":1e40}}",
        "{\"name\":\"x\",\"owner\":\"" + "o".repeat(5000) + "\"}", "{", ""};
}
