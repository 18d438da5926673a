package io.texttoimage.gateway;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.vertx.VertxContextSupport;
import io.texttoimage.gateway.auth.Caller;
import io.texttoimage.gateway.job.JobException;
import io.texttoimage.gateway.job.JobService;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.URL;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletionException;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.endsWith;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Ownership (issue 11, part 2) with two owners against real PostgreSQL and RabbitMQ: each caller sees, follows,
 * downloads and cancels only its own jobs, and another owner's job answers exactly as an unknown id does; admins
 * see everyone's. Callers are set per request by the test-only {@link TestCallers} header, and through
 * {@link JobService} with explicit {@link Caller}s.
 */
@QuarkusTest
@WithTestResource(GatewayTestResources.class)
class OwnershipTest {
    private static final String PROBLEM = "application/problem+json";

    @TestHTTPResource("/generated-images")
    URL api;
    @Inject
    JobService jobs;
    @Inject
    Pool pool;

    private final String alice = "alice-" + UUID.randomUUID();
    private final String bob = "bob-" + UUID.randomUUID();

    @Test
    void aJobIsItsSubmittersAndAnotherOwnerGetsTheSame404AsForAnUnknownId() {
        String id = submit(alice, "alice's job").then().statusCode(201).body("owner", equalTo(alice))
                .extract().path("id");
        assertEquals(alice, ownerColumn(id));
        as(alice).get("/generated-images/" + id).then().statusCode(200).body("owner", equalTo(alice));

        JsonPath unknown = notFound(as(bob).get("/generated-images/" + UUID.randomUUID()));
        JsonPath hidden = notFound(as(bob).get("/generated-images/" + id));
        assertEquals(unknown.getString("type"), hidden.getString("type"));
        assertEquals(unknown.getString("title"), hidden.getString("title"));
        assertEquals("No generated image with id " + id + ".", hidden.getString("detail"), "as for an unknown id");
        assertEquals(Set.of("type", "title", "status", "detail", "instance"), hidden.getMap("").keySet());

        admin().get("/generated-images/" + id).then().statusCode(200).body("owner", equalTo(alice));
    }

    @Test
    void theListAndItsTotalHoldOnlyTheCallersJobsAndAnAdminsHoldEveryOne() {
        String a1 = submit(alice, "alice one").then().statusCode(201).extract().path("id");
        String a2 = submit(alice, "alice two").then().statusCode(201).extract().path("id");
        String b1 = submit(bob, "bob one").then().statusCode(201).extract().path("id");

        JsonPath alices = as(alice).get("/generated-images?size=100").then().statusCode(200).extract().jsonPath();
        assertEquals(List.of(a2, a1), alices.getList("items.id"), "newest first, only alice's");
        assertEquals(2, alices.getInt("total"));
        JsonPath bobs = as(bob).get("/generated-images").then().statusCode(200).extract().jsonPath();
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
        String id = submit(alice, "alice followed").then().statusCode(201).extract().path("id");
        URI events = URI.create(api + "/" + id + "/events");

        try (SseClient bobs = new SseClient(events, null, Map.of(TestCallers.OWNER, bob))) {
            assertEquals(404, bobs.status);
            assertTrue(bobs.contentType.startsWith(PROBLEM), bobs.contentType);
        }
        try (SseClient bobsResumed = new SseClient(events, "0", Map.of(TestCallers.OWNER, bob))) {
            assertEquals(404, bobsResumed.status, "a resumption is checked too");
        }
        String firstId;
        try (SseClient alices = new SseClient(events, null, Map.of(TestCallers.OWNER, alice))) {
            assertEquals(200, alices.status);
            SseClient.Event first = alices.nextNonHeartbeat(Duration.ofSeconds(10));
            assertNotNull(first);
            assertEquals("queued", first.name());
            assertEquals(id, first.data().get("id").asText());
            firstId = first.id();
        }
        try (SseClient resumed = new SseClient(events, firstId, Map.of(TestCallers.OWNER, alice))) {
            assertEquals(200, resumed.status, "the owner may resume");
            SseClient.Event next = resumed.next(Duration.ofSeconds(10));
            assertNotNull(next, "the resumed stream sends (heartbeats at least)");
            assertNotEquals(SseClient.END, next, "and stays open: the job is still queued");
        }
        try (SseClient admins = new SseClient(events, null, Map.of(TestCallers.OWNER, "ops", TestCallers.ADMIN,
                "true"))) {
            assertEquals(200, admins.status);
        }
    }

    @Test
    void anotherOwnersDownloadUrlsAre404() {
        String id = submit(alice, "alice's images").then().statusCode(201).extract().path("id");
        as(alice).get("/generated-images/" + id + "/url").then().statusCode(409)
                .body("type", endsWith("/not-ready"));
        notFound(as(bob).get("/generated-images/" + id + "/url"));
    }

    @Test
    void anotherOwnerCannotCancelAJob() {
        String id = submit(alice, "alice's to cancel").then().statusCode(201).extract().path("id");
        notFound(as(bob).delete("/generated-images/" + id));
        as(alice).get("/generated-images/" + id).then().body("cancel_requested", equalTo(false));

        as(alice).delete("/generated-images/" + id).then().statusCode(202).body("cancel_requested", equalTo(true));
        String other = submit(bob, "bob's, cancelled by an admin").then().statusCode(201).extract().path("id");
        admin().delete("/generated-images/" + other).then().statusCode(202).body("owner", equalTo(bob));
    }

    @Test
    void anIdempotencyKeyReplaysOnlyForItsOwner() {
        String key = UUID.randomUUID().toString();
        String body = "{\"prompt\":\"one key, two owners\"}";
        String alicesJob = as(alice).header("Idempotency-Key", key).contentType(ContentType.JSON).body(body)
                .post("/generated-images").then().statusCode(201).extract().path("id");
        String bobsJob = as(bob).header("Idempotency-Key", key).contentType(ContentType.JSON).body(body)
                .post("/generated-images").then().statusCode(201).body("owner", equalTo(bob)).extract().path("id");
        assertNotEquals(alicesJob, bobsJob, "bob's key is his own");

        as(alice).header("Idempotency-Key", key).contentType(ContentType.JSON).body(body)
                .post("/generated-images").then().statusCode(200).header("Idempotent-Replayed", "true")
                .body("id", equalTo(alicesJob));
        as(bob).header("Idempotency-Key", key).contentType(ContentType.JSON).body(body)
                .post("/generated-images").then().statusCode(200).body("id", equalTo(bobsJob));
    }

    @Test
    void theServicesApplyTheSameRulesToExplicitCallers() {
        UUID id = UUID.fromString(submit(alice, "seen through the service").then().statusCode(201)
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

    /** Unauthenticated callers (authentication off) own 'anonymous' jobs and see every job, as before owners. */
    @Test
    void withoutACallerJobsAreAnonymousAndEveryJobIsSeen() {
        String mine = given().contentType(ContentType.JSON).body("{\"prompt\":\"no caller\"}")
                .post("/generated-images").then().statusCode(201).body("owner", equalTo(Caller.ANONYMOUS_OWNER))
                .extract().path("id");
        String alices = submit(alice, "seen by the unauthenticated").then().statusCode(201).extract().path("id");
        given().get("/generated-images/" + alices).then().statusCode(200);
        given().get("/generated-images/" + mine).then().statusCode(200);
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

    private static RequestSpecification as(String owner) {
        return given().header(TestCallers.OWNER, owner);
    }

    private static RequestSpecification admin() {
        return given().header(TestCallers.OWNER, "ops").header(TestCallers.ADMIN, "true");
    }

    private static Response submit(String owner, String prompt) {
        return as(owner).contentType(ContentType.JSON).body("{\"prompt\":\"" + prompt + "\"}")
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
