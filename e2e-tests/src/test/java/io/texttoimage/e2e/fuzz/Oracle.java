package io.texttoimage.e2e.fuzz;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.texttoimage.e2e.fuzz.Credentials.Kind;
import io.texttoimage.e2e.fuzz.FuzzRequest.Expect;
import io.texttoimage.e2e.fuzz.HttpTransport.Answer;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What every answer must be: no 5xx; every 4xx an RFC 9457 problem (application/problem+json with {@code status}
 * equal to the HTTP status, a {@code title} and a non-empty {@code detail}); 2xx bodies JSON where JSON is expected;
 * an event stream or a problem from the SSE endpoint; no credential echoed. With authentication: no refused
 * credential gets a 2xx from a protected path, no owner's request gets a 2xx/409 on another owner's job or an answer
 * that carries another owner's prompt marker.
 */
final class Oracle {
    /** A criterion a request broke. {@code kind} groups them in the report. */
    record Violation(String kind, String message) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Credentials credentials;
    private final Ledger ledger;
    /** Requests of one owner that named another owner's job, and how many of them tried to cancel a sentinel. */
    final java.util.concurrent.atomic.AtomicInteger crossOwnerRequests = new java.util.concurrent.atomic.AtomicInteger();
    final java.util.concurrent.atomic.AtomicInteger sentinelCancels = new java.util.concurrent.atomic.AtomicInteger();

    Oracle(Credentials credentials, Ledger ledger) {
        this.credentials = credentials;
        this.ledger = ledger;
    }

    List<Violation> check(FuzzRequest request, Answer answer) {
        List<Violation> violations = new ArrayList<>();
        int status = answer.status();
        if (status < 0) {
            if (!request.malformed()) {
                violations.add(new Violation("no answer", answer.failure()));
            }
            return violations;
        }
        if (status >= 500) {
            violations.add(new Violation("5xx", "answered " + status));
        }
        if (codecRejection(request, answer)) {
            return violations;
        }
        if (status >= 400 && !request.isHead()) {
            problem(answer).ifPresent(message -> violations.add(new Violation("not problem+json", message)));
        } else if (status >= 200 && status < 300 && !request.isHead()) {
            success(request, answer).ifPresent(message -> violations.add(new Violation("bad 2xx body", message)));
        }
        echoedCredential(request, answer).ifPresent(message -> violations.add(new Violation("credential echoed",
                message)));
        if (credentials.authEnabled) {
            authorization(request, answer).ifPresent(message -> violations.add(new Violation("auth", message)));
        }
        if (credentials.ownersDistinct()) {
            crossOwner(request, answer).ifPresent(message -> violations.add(new Violation("cross-owner leak",
                    message)));
        }
        return violations;
    }

    /**
     * A request that is not HTTP/1.1 as RFC 9112 frames it (oversized or malformed header section, request line over
     * quarkus.http.limits.max-initial-line-length, conflicting lengths, bad chunking) or whose target is no RFC 3986
     * URI (raw non-ASCII bytes, a '%' that starts no %XX escape) is refused by Vert.x before any route of the gateway
     * sees it: a bare 400, 414 or 431 with no body. Counted in the report, not held against the problem+json rule:
     * no application route can answer it (docs/fuzzing.md, "Known limits").
     */
    static boolean codecRejection(FuzzRequest request, Answer answer) {
        return request.malformed() && (answer.status() == 400 || answer.status() == 414 || answer.status() == 431)
                && answer.body().length == 0 && answer.header("content-type") == null;
    }

    private static Optional<String> problem(Answer answer) {
        String type = answer.header("content-type");
        if (type == null || !type.startsWith("application/problem+json")) {
            return Optional.of(answer.status() + " with Content-Type " + type + ": " + snippet(answer));
        }
        JsonNode body;
        try {
            body = JSON.readTree(answer.body());
        } catch (Exception e) {
            return Optional.of(answer.status() + " problem that is not JSON: " + snippet(answer));
        }
        if (body == null || !body.isObject()) {
            return Optional.of(answer.status() + " problem that is not an object: " + snippet(answer));
        }
        if (body.path("status").asInt(-1) != answer.status()) {
            return Optional.of("HTTP " + answer.status() + " but problem status " + body.path("status"));
        }
        if (body.path("title").asText("").isBlank()) {
            return Optional.of(answer.status() + " problem without a title: " + snippet(answer));
        }
        if (body.path("detail").asText("").isBlank()) {
            return Optional.of(answer.status() + " problem without a detail: " + snippet(answer));
        }
        return Optional.empty();
    }

    private static Optional<String> success(FuzzRequest request, Answer answer) {
        String type = answer.header("content-type");
        if (request.expect() == Expect.SSE) {
            return type != null && type.startsWith("text/event-stream") ? Optional.empty()
                    : Optional.of(answer.status() + " from the event stream with Content-Type " + type);
        }
        if (request.expect() != Expect.JSON) {
            return Optional.empty();
        }
        if (type == null || !type.startsWith("application/json")) {
            return Optional.of(answer.status() + " with Content-Type " + type + " where JSON is expected: "
                    + snippet(answer));
        }
        try {
            JsonNode body = JSON.readTree(answer.body());
            return body == null || body.isMissingNode() ? Optional.of("empty JSON body") : Optional.empty();
        } catch (Exception e) {
            return Optional.of(answer.status() + " with a body that is not JSON: " + snippet(answer));
        }
    }

    private Optional<String> echoedCredential(FuzzRequest request, Answer answer) {
        if (answer.body().length == 0) {
            return Optional.empty();
        }
        String text = answer.text();
        for (String secret : credentials.secrets()) {
            if (text.contains(secret) && !request.endpoint().contains("/admin/api-keys")) {
                return Optional.of("an API key of the fuzzer appears in the answer");
            }
        }
        for (FuzzRequest.Header header : request.headers()) {
            String value = header.value();
            if (header.name().equalsIgnoreCase("Authorization") && value.length() > 16) {
                String credential = value.substring(value.indexOf(' ') + 1).trim();
                if (credential.length() > 16 && text.contains(credential)) {
                    return Optional.of("the Authorization credential appears in the answer");
                }
            }
        }
        return Optional.empty();
    }

    private Optional<String> authorization(FuzzRequest request, Answer answer) {
        boolean success = answer.status() >= 200 && answer.status() < 300;
        boolean protectedPath = request.expect() != Expect.ANY && !request.endpoint().startsWith("raw:");
        if (protectedPath && success && request.credential().mustBeRefused()) {
            return Optional.of("a " + request.credential() + " credential was answered " + answer.status());
        }
        if (success && request.endpoint().contains("/admin/") && request.credential() != Kind.ADMIN) {
            return Optional.of("a non-admin caller (" + request.credential() + ") was answered " + answer.status()
                    + " by the admin API");
        }
        if (answer.status() == 401 && answer.header("www-authenticate") == null) {
            return Optional.of("401 without WWW-Authenticate");
        }
        return Optional.empty();
    }

    private Optional<String> crossOwner(FuzzRequest request, Answer answer) {
        Kind caller = request.credential();
        if (!caller.isOwner()) {
            return Optional.empty();
        }
        if (request.jobId() != null) {
            Optional<Kind> owner = ledger.ownerOf(request.jobId());
            if (owner.isPresent() && owner.get() != caller) {
                crossOwnerRequests.incrementAndGet();
                if ("DELETE".equals(request.method()) && ledger.entry(request.jobId()).orElseThrow().sentinel()) {
                    sentinelCancels.incrementAndGet();
                }
            }
            if (owner.isPresent() && owner.get() != caller
                    && ((answer.status() >= 200 && answer.status() < 300) || answer.status() == 409)) {
                return Optional.of(caller + " on " + owner.get() + "'s job " + request.jobId() + " was answered "
                        + answer.status() + ": " + snippet(answer));
            }
        }
        if (answer.body().length > 0) {
            List<Ledger.Entry> foreign = ledger.foreignMarkersIn(answer.text(), caller);
            if (!foreign.isEmpty()) {
                return Optional.of(caller + "'s request revealed " + foreign.getFirst().owner() + "'s job "
                        + foreign.getFirst().id() + " (" + foreign.size() + " foreign jobs in the answer)");
            }
        }
        return Optional.empty();
    }

    static String snippet(Answer answer) {
        String text = answer.text().replaceAll("\\s+", " ");
        return text.length() > 300 ? text.substring(0, 300) + "..." : text;
    }
}
