package io.texttoimage.e2e.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.texttoimage.e2e.fuzz.Credentials.Kind;
import io.texttoimage.e2e.fuzz.FuzzRequest.Expect;
import io.texttoimage.e2e.fuzz.HttpTransport.Answer;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/** The oracle without a gateway: which answers break which criterion (so a clean fuzz run means something). */
class OracleTest {
    private static final String JOB_OF_A = "3f1c2b6e-0000-4000-8000-00000000000a";
    private static final String PROBLEM = "application/problem+json";

    private final Ledger ledger = new Ledger();
    private final Oracle withOwners = new Oracle(credentials(true, null), ledger);
    private final Oracle withoutAuth = new Oracle(credentials(false, "no authentication"), ledger);

    OracleTest() {
        ledger.record(JOB_OF_A, Kind.OWNER_A, Ledger.marker(7));
    }

    @Test
    void aProblemWithStatusTitleAndDetailPasses() {
        assertEquals(List.of(), kinds(withOwners, get("/generated-images/x", Kind.OWNER_A, null),
                answer(404, PROBLEM, "{\"type\":\"t\",\"title\":\"Not found\",\"status\":404,\"detail\":\"No job\"}")));
    }

    @Test
    void a5xxAndEveryBrokenProblemAreViolations() {
        FuzzRequest request = get("/generated-images", Kind.OWNER_A, null);
        assertEquals(List.of("5xx", "not problem+json"), kinds(withOwners, request, answer(500, "text/plain", "boom")));
        assertEquals(List.of("not problem+json"), kinds(withOwners, request, answer(400, null, "")));
        assertEquals(List.of("not problem+json"), kinds(withOwners, request,
                answer(400, PROBLEM, "{\"title\":\"Bad\",\"status\":409,\"detail\":\"x\"}")));
        assertEquals(List.of("not problem+json"), kinds(withOwners, request,
                answer(400, PROBLEM, "{\"title\":\"Bad\",\"status\":400,\"detail\":\" \"}")));
        assertEquals(List.of("not problem+json"), kinds(withOwners, request, answer(400, PROBLEM, "{nope")));
    }

    @Test
    void aBareDecoderAnswerIsExemptOnlyForMalformedFraming() {
        FuzzRequest malformed = new FuzzRequest(1, "raw: oversized header", "GET", "/generated-images", List.of(),
                null, true, Expect.JSON, Kind.NONE, null, true, new byte[0]);
        assertEquals(List.of(), kinds(withoutAuth, malformed, answer(431, null, "")));
        assertEquals(List.of("not problem+json"), kinds(withoutAuth, get("/generated-images", Kind.NONE, null),
                answer(431, null, "")));
    }

    @Test
    void anotherOwnersJobMustNotBeAnsweredOrRevealed() {
        FuzzRequest ofB = get("/generated-images/" + JOB_OF_A, Kind.OWNER_B, JOB_OF_A);
        String record = "{\"id\":\"" + JOB_OF_A + "\",\"prompt\":\"fuzz " + Ledger.marker(7) + " a cat\"}";
        assertEquals(List.of("cross-owner leak"), kinds(withOwners, ofB, answer(200, "application/json", record)));
        assertEquals(List.of("cross-owner leak"), kinds(withOwners, ofB, answer(409, PROBLEM,
                "{\"title\":\"Job already finished\",\"status\":409,\"detail\":\"finished\"}")));
        assertEquals(List.of("cross-owner leak"), kinds(withOwners, get("/generated-images", Kind.OWNER_B, null),
                answer(200, "application/json", "{\"items\":[" + record + "]}")));
        assertEquals(List.of(), kinds(withOwners, ofB, answer(404, PROBLEM,
                "{\"title\":\"Not found\",\"status\":404,\"detail\":\"No generated image has the id\"}")));
        assertEquals(List.of(), kinds(withOwners, get("/generated-images/" + JOB_OF_A, Kind.OWNER_A, JOB_OF_A),
                answer(200, "application/json", record)), "its owner may see it");
        assertEquals(List.of(), kinds(withoutAuth, ofB, answer(200, "application/json", record)),
                "without authentication every caller is the same owner");
    }

    @Test
    void aRefusedCredentialMustNotGetA2xxNorAnyoneSeeAKey() {
        assertEquals(List.of("auth"), kinds(withOwners, get("/capabilities", Kind.REVOKED, null),
                answer(200, "application/json", "{}")));
        assertEquals(List.of("auth"), kinds(withOwners, get("/capabilities", Kind.NONE, null),
                answer(401, PROBLEM, "{\"title\":\"Unauthorized\",\"status\":401,\"detail\":\"Send a key\"}")),
                "401 without WWW-Authenticate");
        assertEquals(List.of("credential echoed"), kinds(withOwners, get("/capabilities", Kind.OWNER_A, null),
                answer(200, "application/json", "{\"k\":\"" + KEY_A + "\"}")));
    }

    private static final String KEY_A = "t2i_" + "a".repeat(43);

    private static Credentials credentials(boolean auth, String skipReason) {
        Map<Kind, String> keys = new EnumMap<>(Kind.class);
        keys.put(Kind.OWNER_A, KEY_A);
        keys.put(Kind.OWNER_B, "t2i_" + "b".repeat(43));
        keys.put(Kind.ADMIN, "admin-" + "c".repeat(40));
        keys.put(Kind.REVOKED, "t2i_" + "d".repeat(43));
        keys.put(Kind.EXPIRED, "t2i_" + "e".repeat(43));
        return Credentials.of(auth, skipReason, keys);
    }

    private FuzzRequest get(String target, Kind credential, String jobId) {
        List<FuzzRequest.Header> headers = credentials(true, null).authorization(credential, new SplittableRandom(1))
                .map(value -> List.of(new FuzzRequest.Header("Authorization", value))).orElse(List.of());
        return new FuzzRequest(1, "GET " + target, "GET", target, headers, null, false,
                target.startsWith("/generated-images") || target.startsWith("/capabilities") ? Expect.JSON
                        : Expect.ANY, credential, jobId, false, null);
    }

    private static Answer answer(int status, String contentType, String body) {
        return new Answer(status, contentType == null ? Map.of() : Map.of("content-type", List.of(contentType)),
                body.getBytes(StandardCharsets.UTF_8), null, 5);
    }

    private static List<String> kinds(Oracle oracle, FuzzRequest request, Answer answer) {
        return oracle.check(request, answer).stream().map(Oracle.Violation::kind).toList();
    }
}
