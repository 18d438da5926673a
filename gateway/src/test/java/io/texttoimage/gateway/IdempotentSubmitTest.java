package io.texttoimage.gateway;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.texttoimage.contracts.GenerationRequested;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.endsWith;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@code Idempotency-Key} on submission, against real PostgreSQL and RabbitMQ: a client that retries a POST (timeout,
 * reset connection) gets its original job, not a second one, however many retries race each other.
 */
@QuarkusTest
@WithTestResource(GatewayTestResources.class)
class IdempotentSubmitTest extends WithFakeGenerator {
    private static final String PROBLEM = "application/problem+json";

    @Inject
    Pool pool;

    @Test
    void aRetryWithTheSameKeyAndBodyReturnsTheOriginalJob() throws Exception {
        String key = UUID.randomUUID().toString();
        String body = "{\"prompt\":\"paid once\",\"num_steps\":12,\"seed\":5}";
        String id = submit(key, body).then().statusCode(201).header("Location", containsString("/generated-images/"))
                .extract().path("id");
        // Same request, other spacing and field order: a replay.
        submit(key, "{ \"seed\": 5, \"num_steps\": 12, \"prompt\": \"paid once\" }").then().statusCode(200)
                .header("Idempotent-Replayed", "true")
                .header("Location", endsWith("/generated-images/" + id))
                .body("id", equalTo(id)).body("num_steps", equalTo(12)).body("seed", equalTo(5));

        assertEquals(1, rowsWithPrompt("paid once"));
        String marker = submit(null, "{\"prompt\":\"marker after the replay\"}").then().statusCode(201)
                .extract().path("id");
        List<GenerationRequested> published = generator.takeRequestsUntil(UUID.fromString(marker),
                Duration.ofSeconds(10));
        assertEquals(1, published.stream().filter(request -> request.prompt().equals("paid once")).count(),
                "messages published: " + published);
    }

    @Test
    void theSameKeyWithAnotherBodyIsA422() {
        String key = UUID.randomUUID().toString();
        String id = submit(key, "{\"prompt\":\"first use of the key\"}").then().statusCode(201).extract().path("id");
        submit(key, "{\"prompt\":\"second use of the key\"}").then().statusCode(422).contentType(PROBLEM)
                .body("type", endsWith("/idempotency-key-reused"))
                .body("detail", containsString(id));
        assertEquals(0, rowsWithPrompt("second use of the key"));
    }

    @Test
    void concurrentRetriesWithOneKeyCreateOneJob() throws Exception {
        String key = UUID.randomUUID().toString();
        String body = "{\"prompt\":\"raced by eight retries\"}";
        ExecutorService clients = Executors.newFixedThreadPool(8);
        try {
            List<Future<Integer>> statuses = new ArrayList<>();
            List<Future<String>> ids = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                Future<Response> response = clients.submit(() -> submit(key, body));
                statuses.add(clients.submit(() -> response.get().statusCode()));
                ids.add(clients.submit(() -> response.get().path("id")));
            }
            Set<String> distinct = new java.util.HashSet<>();
            List<Integer> codes = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                codes.add(statuses.get(i).get());
                distinct.add(ids.get(i).get());
            }
            assertEquals(1, distinct.size(), "ids: " + distinct);
            assertEquals(1, codes.stream().filter(code -> code == 201).count(), "statuses: " + codes);
            assertEquals(7, codes.stream().filter(code -> code == 200).count(), "statuses: " + codes);
        } finally {
            clients.shutdownNow();
        }
        assertEquals(1, rowsWithPrompt("raced by eight retries"));
    }

    @Test
    void anExpiredKeyMayBeUsedAgain() {
        String key = UUID.randomUUID().toString();
        String first = submit(key, "{\"prompt\":\"before the key expired\"}").then().statusCode(201)
                .extract().path("id");
        pool.preparedQuery("UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = $1")
                .execute(Tuple.of(key)).await().atMost(Duration.ofSeconds(5));

        String second = submit(key, "{\"prompt\":\"after the key expired\"}").then().statusCode(201)
                .extract().path("id");

        assertEquals(false, first.equals(second));
    }

    @Test
    void aKeyOfARefusedSubmissionIsFreedForTheRetry() throws Exception {
        String key = UUID.randomUUID().toString();
        String body = "{\"prompt\":\"refused, then retried\"}";
        generator.unbindWorkQueue();
        String detail;
        try {
            detail = submit(key, body).then().statusCode(503).contentType(PROBLEM)
                    .header("Retry-After", notNullValue())
                    .body("type", endsWith("/broker-unavailable"))
                    .extract().path("detail");
        } finally {
            generator.rebindWorkQueue();
        }
        // The 503 names the job it recorded as failed.
        String refused = given().get("/generated-images?size=1").then().statusCode(200)
                .body("items[0].status", equalTo("failed")).extract().path("items[0].id");
        assertEquals(true, detail.contains(refused), detail);

        String retried = submit(key, body).then().statusCode(201).extract().path("id");
        assertEquals(false, retried.equals(refused));
        generator.takeRequest(UUID.fromString(retried), Duration.ofSeconds(10));
    }

    @Test
    void malformedKeysAreA400NamingTheHeader() {
        for (String key : List.of("x".repeat(256), "with space", "tab\tinside")) {
            submit(key, "{\"prompt\":\"bad key\"}").then().statusCode(400).contentType(PROBLEM)
                    .body("errors[0].field", equalTo("Idempotency-Key"))
                    .body("detail", containsString("1 to 255 visible ASCII characters"));
        }
        assertEquals(0, rowsWithPrompt("bad key"));
    }

    private static Response submit(String key, String body) {
        var request = given().contentType(ContentType.JSON).body(body);
        if (key != null) {
            request.header("Idempotency-Key", key);
        }
        return request.post("/generated-images");
    }

    private long rowsWithPrompt(String prompt) {
        return pool.preparedQuery("SELECT count(*) FROM generated_images WHERE prompt = $1").execute(Tuple.of(prompt))
                .await().atMost(Duration.ofSeconds(5)).iterator().next().getLong(0);
    }
}
