package io.texttoimage.gateway;

import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.vertx.VertxContextSupport;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import io.texttoimage.gateway.auth.AuthEnabled;
import io.texttoimage.gateway.auth.Caller;
import io.texttoimage.gateway.auth.TestCredentials;
import io.texttoimage.gateway.auth.TestCredentials.Key;
import io.texttoimage.gateway.job.JobException;
import io.texttoimage.gateway.job.JobService;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.URL;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletionException;

import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.endsWith;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Ownership (issue 11, part 2) with two owners against real PostgreSQL and RabbitMQ, with authentication on and
 * real credentials: API keys of alice, bob and an admin made through the admin API, JWTs, stream tokens. Each
 * caller sees, follows, downloads and cancels only its own jobs, and another owner's job answers exactly as an
 * unknown id does; admins see everyone's. The services are also checked with explicit {@link Caller}s.
 */
@QuarkusTest
@TestProfile(AuthEnabled.class)
@WithTestResource(GatewayTestResources.class)
class OwnershipTest {
    private static final String PROBLEM = "application/problem+json";
    private static final String INVALID_TOKEN = "Bearer realm=\"text-to-image\", error=\"invalid_token\"";

    @TestHTTPResource("/generated-images")
    URL api;
    @Inject
    JobService jobs;
    @Inject
    Pool pool;

    private final String alice = "alice-" + UUID.randomUUID();
    private final String bob = "bob-" + UUID.randomUUID();
    private Key alicesKey;
    private Key bobsKey;
    private Key adminKey;

    @BeforeEach
    void createKeys() {
        alicesKey = TestCredentials.key(alice);
        bobsKey = TestCredentials.key(bob);
        adminKey = TestCredentials.adminKey("ops-" + UUID.randomUUID());
    }

    @Test
    void aJobIsItsSubmittersAndAnotherOwnerGetsTheSame404AsForAnUnknownId() {
        String id = submit(alicesKey, "alice's job").then().statusCode(201).body("owner", equalTo(alice))
                .extract().path("id");
        assertEquals(alice, ownerColumn(id));
        as(alicesKey).get("/generated-images/" + id).then().statusCode(200).body("owner", equalTo(alice));

        JsonPath unknown = notFound(as(bobsKey).get("/generated-images/" + UUID.randomUUID()));
        JsonPath hidden = notFound(as(bobsKey).get("/generated-images/" + id));
        assertEquals(unknown.getString("type"), hidden.getString("type"));
        assertEquals(unknown.getString("title"), hidden.getString("title"));
        assertEquals("No generated image with id " + id + ".", hidden.getString("detail"), "as for an unknown id");
        assertEquals(Set.of("type", "title", "status", "detail", "instance"), hidden.getMap("").keySet());

        admin().get("/generated-images/" + id).then().statusCode(200).body("owner", equalTo(alice));
    }

    @Test
    void theListAndItsTotalHoldOnlyTheCallersJobsAndAnAdminsHoldEveryOne() {
        String a1 = submit(alicesKey, "alice one").then().statusCode(201).extract().path("id");
        String a2 = submit(alicesKey, "alice two").then().statusCode(201).extract().path("id");
        String b1 = submit(bobsKey, "bob one").then().statusCode(201).extract().path("id");

        JsonPath alices = as(alicesKey).get("/generated-images?size=100").then().statusCode(200).extract().jsonPath();
        assertEquals(List.of(a2, a1), alices.getList("items.id"), "newest first, only alice's");
        assertEquals(2, alices.getInt("total"));
        JsonPath bobs = as(bobsKey).get("/generated-images").then().statusCode(200).extract().jsonPath();
        assertEquals(List.of(b1), bobs.getList("items.id"));
        assertEquals(1, bobs.getInt("total"));
        assertEquals(List.of(bob), bobs.getList("items.owner"));

        JsonPath all = admin().get("/generated-images?size=100").then().statusCode(200).extract().jsonPath();
        assertTrue(all.getList("items.id").containsAll(List.of(a1, a2, b1)), "admin: " + all.getList("items.id"));
        assertTrue(all.getInt("total") >= 3);
        assertEquals(totalRows(), all.getLong("total"), "an admin's total is every job");
    }

    @Test
    void anotherOwnersEventStreamIs404AndTheOwnersResumesWithLastEventId() throws Exception {
        String id = submit(alicesKey, "alice followed").then().statusCode(201).extract().path("id");
        URI events = URI.create(api + "/" + id + "/events");

        try (SseClient bobs = new SseClient(events, null, bobsKey.header())) {
            assertEquals(404, bobs.status);
            assertTrue(bobs.contentType.startsWith(PROBLEM), bobs.contentType);
        }
        try (SseClient bobsResumed = new SseClient(events, "0", bobsKey.header())) {
            assertEquals(404, bobsResumed.status, "a resumption is checked too");
        }
        String firstId;
        try (SseClient alices = new SseClient(events, null, alicesKey.header())) {
            assertEquals(200, alices.status);
            SseClient.Event first = alices.nextNonHeartbeat(Duration.ofSeconds(10));
            assertNotNull(first);
            assertEquals("queued", first.name());
            assertEquals(id, first.data().get("id").asText());
            firstId = first.id();
        }
        try (SseClient resumed = new SseClient(events, firstId, alicesKey.header())) {
            assertEquals(200, resumed.status, "the owner may resume");
            SseClient.Event next = resumed.next(Duration.ofSeconds(10));
            assertNotNull(next, "the resumed stream sends (heartbeats at least)");
            assertNotEquals(SseClient.END, next, "and stays open: the job is still queued");
        }
        try (SseClient admins = new SseClient(events, null, adminKey.header())) {
            assertEquals(200, admins.status);
        }
    }

    @Test
    void anotherOwnersDownloadUrlsAre404() {
        String id = submit(alicesKey, "alice's images").then().statusCode(201).extract().path("id");
        as(alicesKey).get("/generated-images/" + id + "/url").then().statusCode(409)
                .body("type", endsWith("/not-ready"));
        notFound(as(bobsKey).get("/generated-images/" + id + "/url"));
    }

    @Test
    void anotherOwnerCannotCancelAJob() {
        String id = submit(alicesKey, "alice's to cancel").then().statusCode(201).extract().path("id");
        notFound(as(bobsKey).delete("/generated-images/" + id));
        as(alicesKey).get("/generated-images/" + id).then().body("cancel_requested", equalTo(false));

        as(alicesKey).delete("/generated-images/" + id).then().statusCode(202).body("cancel_requested", equalTo(true));
        String other = submit(bobsKey, "bob's, cancelled by an admin").then().statusCode(201).extract().path("id");
        admin().delete("/generated-images/" + other).then().statusCode(202).body("owner", equalTo(bob));
    }

    @Test
    void anIdempotencyKeyReplaysOnlyForItsOwner() {
        String key = UUID.randomUUID().toString();
        String body = "{\"prompt\":\"one key, two owners\"}";
        String alicesJob = as(alicesKey).header("Idempotency-Key", key).contentType(ContentType.JSON).body(body)
                .post("/generated-images").then().statusCode(201).extract().path("id");
        String bobsJob = as(bobsKey).header("Idempotency-Key", key).contentType(ContentType.JSON).body(body)
                .post("/generated-images").then().statusCode(201).body("owner", equalTo(bob)).extract().path("id");
        assertNotEquals(alicesJob, bobsJob, "bob's key is his own");

        as(alicesKey).header("Idempotency-Key", key).contentType(ContentType.JSON).body(body)
                .post("/generated-images").then().statusCode(200).header("Idempotent-Replayed", "true")
                .body("id", equalTo(alicesJob));
        as(bobsKey).header("Idempotency-Key", key).contentType(ContentType.JSON).body(body)
                .post("/generated-images").then().statusCode(200).body("id", equalTo(bobsJob));
    }

    @Test
    void theServicesApplyTheSameRulesToExplicitCallers() {
        UUID id = UUID.fromString(submit(alicesKey, "seen through the service").then().statusCode(201)
                .extract().path("id"));
        Caller aliceCaller = new Caller(alice, false, Optional.empty(), Caller.QuotaOverrides.NONE);
        Caller bobCaller = new Caller(bob, false, Optional.empty(), Caller.QuotaOverrides.NONE);
        Caller adminCaller = new Caller("ops", true, Optional.empty(), Caller.QuotaOverrides.NONE);

        assertEquals(alice, jobs.findVisible(id, aliceCaller).await().atMost(Duration.ofSeconds(10)).owner);
        assertEquals(alice, jobs.findVisible(id, adminCaller).await().atMost(Duration.ofSeconds(10)).owner);
        CompletionException hidden = assertThrows(CompletionException.class,
                () -> jobs.findVisible(id, bobCaller).subscribeAsCompletionStage().join());
        assertTrue(hidden.getCause() instanceof JobException.NotFound, String.valueOf(hidden.getCause()));
        CompletionException unknown = assertThrows(CompletionException.class,
                () -> jobs.findVisible(UUID.randomUUID(), aliceCaller).subscribeAsCompletionStage().join());
        assertTrue(unknown.getCause() instanceof JobException.NotFound);
        assertFalse(readOwnedBy(bobCaller).contains(id));
        assertTrue(readOwnedBy(aliceCaller).contains(id));
    }

    // ---------------------------------------------------------------- what only real credentials show

    @Test
    void aStreamTokenIsIssuedOnlyForAJobTheCallerSeesAndAnotherOwnersIsThe404OfAnUnknownId() {
        String id = submit(alicesKey, "alice's to follow").then().statusCode(201).extract().path("id");
        JsonPath unknown = notFound(as(bobsKey).post("/generated-images/" + UUID.randomUUID() + "/stream-token"));
        JsonPath hidden = notFound(as(bobsKey).post("/generated-images/" + id + "/stream-token"));
        assertEquals(unknown.getString("type"), hidden.getString("type"));
        assertEquals("No generated image with id " + id + ".", hidden.getString("detail"), "as for an unknown id");

        as(alicesKey).post("/generated-images/" + id + "/stream-token").then().statusCode(201);
        admin().post("/generated-images/" + id + "/stream-token").then().statusCode(201);
    }

    @Test
    void bobsStreamTokenFollowsBobsJobButDoesNotOpenAlicesEvents() throws Exception {
        String alicesJob = submit(alicesKey, "alice's, not for bob's token").then().statusCode(201)
                .extract().path("id");
        String bobsJob = submit(bobsKey, "bob's, followed with a token").then().statusCode(201).extract().path("id");
        String bobsToken = as(bobsKey).post("/generated-images/" + bobsJob + "/stream-token").then().statusCode(201)
                .extract().path("token");

        try (SseClient alices = new SseClient(eventsWithToken(alicesJob, bobsToken), null, Map.of())) {
            assertEquals(401, alices.status, "a token is for its own job only");
            assertTrue(alices.contentType.startsWith(PROBLEM), alices.contentType);
        }
        try (SseClient bobs = new SseClient(eventsWithToken(bobsJob, bobsToken), null, Map.of())) {
            assertEquals(200, bobs.status);
            SseClient.Event first = bobs.nextNonHeartbeat(Duration.ofSeconds(10));
            assertNotNull(first);
            assertEquals("queued", first.name());
            assertEquals(bobsJob, first.data().get("id").asText());
        }
    }

    @Test
    void aJwtCallerOwnsItsSubjectsJobsAndSeesOnlyThose() {
        String carol = "carol-" + UUID.randomUUID();
        String jwt = TestCredentials.jwt(carol);
        String alices = submit(alicesKey, "alice's, hidden from carol").then().statusCode(201).extract().path("id");
        String carols = TestCredentials.with(jwt).contentType(ContentType.JSON).body("{\"prompt\":\"carol's\"}")
                .post("/generated-images").then().statusCode(201).body("owner", equalTo(carol)).extract().path("id");

        JsonPath list = TestCredentials.with(jwt).get("/generated-images?size=100").then().statusCode(200)
                .extract().jsonPath();
        assertEquals(List.of(carols), list.getList("items.id"));
        assertEquals(1, list.getInt("total"));
        TestCredentials.with(jwt).get("/generated-images/" + carols).then().statusCode(200);
        notFound(TestCredentials.with(jwt).get("/generated-images/" + alices));
        notFound(as(alicesKey).get("/generated-images/" + carols));
        // the owner, not the credential, holds the jobs: an API key of the same owner sees them
        as(TestCredentials.key(carol)).get("/generated-images/" + carols).then().statusCode(200);
        admin().get("/generated-images/" + carols).then().statusCode(200).body("owner", equalTo(carol));
    }

    @Test
    void aRevokedKeyNoLongerSeesItsOwnersJobs() {
        String id = submit(alicesKey, "alice's, then her key is revoked").then().statusCode(201)
                .extract().path("id");
        as(alicesKey).get("/generated-images/" + id).then().statusCode(200);

        TestCredentials.revoke(alicesKey);
        for (Response refused : List.of(as(alicesKey).get("/generated-images/" + id),
                as(alicesKey).get("/generated-images"), as(alicesKey).get("/generated-images/" + id + "/events"),
                as(alicesKey).post("/generated-images/" + id + "/stream-token"),
                as(alicesKey).delete("/generated-images/" + id))) {
            refused.then().statusCode(401).contentType(PROBLEM).header("WWW-Authenticate", INVALID_TOKEN)
                    .body("detail", containsString("revoked"));
        }
        // the job itself is untouched and still its owner's: a new key of alice sees it
        as(TestCredentials.key(alice)).get("/generated-images/" + id).then().statusCode(200)
                .body("owner", equalTo(alice)).body("cancel_requested", equalTo(false));
    }

    private URI eventsWithToken(String job, String token) {
        return URI.create(api + "/" + job + "/events?stream_token=" + URLEncoder.encode(token, StandardCharsets.UTF_8));
    }

    private List<UUID> readOwnedBy(Caller caller) {
        try {
            return VertxContextSupport.subscribeAndAwait(() -> Panache.withSession(() -> jobs.list(0, 100, caller)))
                    .stream().map(job -> job.id).toList();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    private static JsonPath notFound(Response response) {
        return response.then().statusCode(404).contentType(PROBLEM).body("type", endsWith("/not-found"))
                .body("status", equalTo(404)).extract().jsonPath();
    }

    private static RequestSpecification as(Key key) {
        return key.request();
    }

    private RequestSpecification admin() {
        return as(adminKey);
    }

    private static Response submit(Key key, String prompt) {
        return as(key).contentType(ContentType.JSON).body("{\"prompt\":\"" + prompt + "\"}")
                .post("/generated-images");
    }

    private String ownerColumn(String id) {
        return pool.preparedQuery("SELECT owner FROM generated_images WHERE id = $1")
                .execute(Tuple.of(UUID.fromString(id))).await().atMost(Duration.ofSeconds(5))
                .iterator().next().getString("owner");
    }

    private long totalRows() {
        return pool.query("SELECT count(*) AS n FROM generated_images").execute().await()
                .atMost(Duration.ofSeconds(5)).iterator().next().getLong("n");
    }
}
