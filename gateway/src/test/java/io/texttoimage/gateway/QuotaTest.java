package io.texttoimage.gateway;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import io.texttoimage.contracts.GenerationRequested;
import io.texttoimage.gateway.auth.AuthEnabled;
import io.texttoimage.gateway.auth.TestCredentials;
import io.texttoimage.gateway.auth.TestCredentials.Key;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.endsWith;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Quotas per owner (issue 11, part 3) against real PostgreSQL and RabbitMQ, with authentication on and each owner's
 * API key made through the admin API ({@link AuthEnabled}: the production defaults of 20 active jobs and 120
 * submissions a minute, and a daily image limit of 40): each limit answers 429 problem+json with limit, max and
 * Retry-After, stores and publishes nothing, counts in the metric; a key's own limits win; concurrent submissions
 * never overshoot; replays of an Idempotency-Key are neither counted nor refused.
 */
@QuarkusTest
@TestProfile(AuthEnabled.class)
@WithTestResource(GatewayTestResources.class)
class QuotaTest extends WithFakeGenerator {
    private static final String PROBLEM = "application/problem+json";
    /** The limits of an API key, by their names in {@code POST /admin/api-keys}. */
    private static final String ACTIVE = "max_active_jobs";
    private static final String MINUTE = "submissions_per_minute";
    private static final String DAY = "images_per_day";

    @Inject
    Pool pool;
    /** Health and metrics are on the management interface, not on the API's port. */
    @TestHTTPResource(value = "/", management = true)
    URL management;

    private final String owner = "quota-" + UUID.randomUUID();

    @Test
    void theTwentyFirstActiveJobIsRefusedWith429AndNothingIsStoredOrPublished() throws Exception {
        Key key = TestCredentials.key(owner);
        for (int i = 0; i < AuthEnabled.MAX_ACTIVE_JOBS; i++) {
            submit(key, "active " + i, 1).then().statusCode(201);
        }
        double refusedBefore = metric("t2i_gateway_quota_refusals_total", "active_jobs");
        double submittedBefore = metric("t2i_gateway_jobs_submitted_total", null);

        submit(key, "one too many", 1).then().statusCode(429).contentType(PROBLEM)
                .header("Retry-After", "5")
                .body("type", endsWith("/quota-exceeded")).body("title", equalTo("Quota exceeded"))
                .body("status", equalTo(429)).body("limit", equalTo("active_jobs"))
                .body("max", equalTo(AuthEnabled.MAX_ACTIVE_JOBS)).body("instance", equalTo("/generated-images"));

        assertEquals(AuthEnabled.MAX_ACTIVE_JOBS, rowsOf(owner));
        assertEquals(0, rowsWithPrompt("one too many"));
        assertEquals(refusedBefore + 1, metric("t2i_gateway_quota_refusals_total", "active_jobs"));
        assertEquals(submittedBefore, metric("t2i_gateway_jobs_submitted_total", null), "nothing published");
        // Quotas are per owner: another one still submits; and the refused job never reached the broker.
        String marker = submit(TestCredentials.key("quota-other-" + UUID.randomUUID()), "marker", 1).then()
                .statusCode(201).extract().path("id");
        List<GenerationRequested> published = generator.takeRequestsUntil(UUID.fromString(marker),
                Duration.ofSeconds(20));
        assertTrue(published.stream().noneMatch(request -> request.prompt().equals("one too many")));
    }

    @Test
    void aKeysOwnLimitsWinOverTheDefaults() {
        Key lower = TestCredentials.key(owner, Map.of(ACTIVE, 2));
        for (int i = 0; i < 2; i++) {
            submit(lower, "lower " + i, 1).then().statusCode(201);
        }
        submit(lower, "over the key's own", 1).then().statusCode(429)
                .body("limit", equalTo("active_jobs")).body("max", equalTo(2));

        Key higher = TestCredentials.key("quota-generous-" + UUID.randomUUID(), Map.of(ACTIVE, 25));
        for (int i = 0; i < 25; i++) {
            submit(higher, "higher " + i, 1).then().statusCode(201);
        }
        submit(higher, "26th", 1).then().statusCode(429).body("max", equalTo(25));
    }

    @Test
    void theSubmissionsOfTheLastMinuteAreLimitedWithARetryAfterUntilTheOldestLeavesTheWindow() {
        Key key = TestCredentials.key(owner, Map.of(ACTIVE, 1000, MINUTE, 5));
        long start = System.nanoTime();
        for (int i = 0; i < 5; i++) {
            submit(key, "minute " + i, 1).then().statusCode(201);
        }
        double refusedBefore = metric("t2i_gateway_quota_refusals_total", "submissions_per_minute");
        Response refused = submit(key, "sixth in a minute", 1);
        long elapsedSeconds = Duration.ofNanos(System.nanoTime() - start).toSeconds();
        refused.then().statusCode(429).contentType(PROBLEM).body("limit", equalTo("submissions_per_minute"))
                .body("max", equalTo(5));
        int retryAfter = Integer.parseInt(refused.header("Retry-After"));
        assertTrue(retryAfter <= 60 && retryAfter >= 60 - elapsedSeconds - 1, "Retry-After " + retryAfter
                + " after " + elapsedSeconds + " s");
        assertEquals(refusedBefore + 1, metric("t2i_gateway_quota_refusals_total", "submissions_per_minute"));
        assertEquals(5, rowsOf(owner));
    }

    @Test
    void theMinuteSlidesRetryAfterSaysWhenTheOldestSubmissionLeavesIt() throws Exception {
        Key key = TestCredentials.key(owner, Map.of(MINUTE, 2));
        insertFinished(owner, 1, Duration.ofMillis(57_500));
        insertFinished(owner, 1, Duration.ofSeconds(20));
        Response refused = submit(key, "the window is full", 1);
        refused.then().statusCode(429).body("limit", equalTo("submissions_per_minute"));
        int retryAfter = Integer.parseInt(refused.header("Retry-After"));
        assertTrue(retryAfter >= 1 && retryAfter <= 3, "the oldest leaves in 2.5 s: Retry-After " + retryAfter);

        Thread.sleep(retryAfter * 1000L + 200);
        submit(key, "the oldest has left", 1).then().statusCode(201);
    }

    @Test
    void theImagesOfTheLastDayAreLimitedByTheConfiguredDefault() {
        Key key = TestCredentials.key(owner);
        for (int i = 0; i < AuthEnabled.IMAGES_PER_DAY / 4; i++) {
            submit(key, "four images " + i, 4).then().statusCode(201);
        }
        double refusedBefore = metric("t2i_gateway_quota_refusals_total", "images_per_day");
        Response refused = submit(key, "one image too many", 1);
        refused.then().statusCode(429).contentType(PROBLEM).body("limit", equalTo("images_per_day"))
                .body("max", equalTo(AuthEnabled.IMAGES_PER_DAY));
        int retryAfter = Integer.parseInt(refused.header("Retry-After"));
        assertTrue(retryAfter > 86_000 && retryAfter <= 86_400, "Retry-After " + retryAfter);
        assertEquals(refusedBefore + 1, metric("t2i_gateway_quota_refusals_total", "images_per_day"));
        assertEquals(AuthEnabled.IMAGES_PER_DAY / 4, rowsOf(owner));
    }

    @Test
    void theDailyImagesAreSummedAndTheRetryAfterWaitsForEnoughOfThemToLeave() {
        Key key = TestCredentials.key(owner, Map.of(DAY, 5));
        insertFinished(owner, 4, Duration.ofHours(24).minusSeconds(3));
        Response refused = submit(key, "two more than five", 2);
        refused.then().statusCode(429).body("limit", equalTo("images_per_day")).body("max", equalTo(5));
        int retryAfter = Integer.parseInt(refused.header("Retry-After"));
        assertTrue(retryAfter >= 1 && retryAfter <= 3, "the 4 images leave in 3 s: Retry-After " + retryAfter);
        submit(key, "one still fits", 1).then().statusCode(201);
    }

    @Test
    void concurrentSubmissionsOverALimitStoreExactlyTheLimit() throws Exception {
        assertEquals(5, raceSubmissions(TestCredentials.key(owner, Map.of(ACTIVE, 5)), 24));
        Key perMinute = TestCredentials.key("quota-race-minute-" + UUID.randomUUID(), Map.of(ACTIVE, 1000, MINUTE, 4));
        assertEquals(4, raceSubmissions(perMinute, 24));
    }

    @Test
    void replaysOfAnIdempotencyKeyAreNeitherCountedNorRefused() {
        Key key = TestCredentials.key(owner, Map.of(ACTIVE, 1000, MINUTE, 2));
        String idempotencyKey = UUID.randomUUID().toString();
        String id = submit(key, "kept by its key", 1, idempotencyKey).then().statusCode(201)
                .extract().path("id");
        for (int i = 0; i < 3; i++) {
            submit(key, "kept by its key", 1, idempotencyKey).then().statusCode(200)
                    .header("Idempotent-Replayed", "true").body("id", equalTo(id));
        }
        submit(key, "second of the minute", 1).then().statusCode(201);
        // Now at the limit: a replay is still answered, a new submission is not.
        submit(key, "kept by its key", 1, idempotencyKey).then().statusCode(200)
                .body("id", equalTo(id));
        submit(key, "third", 1, UUID.randomUUID().toString()).then().statusCode(429);
        assertEquals(2, rowsOf(owner));
    }

    /** Submits {@code n} jobs at once; yields how many were stored, after checking every other one got a 429. */
    private long raceSubmissions(Key racer, int n) throws Exception {
        ExecutorService clients = Executors.newFixedThreadPool(n);
        try {
            List<Future<Integer>> statuses = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int index = i;
                statuses.add(clients.submit(() -> submit(racer, "race " + index, 1).statusCode()));
            }
            List<Integer> codes = new ArrayList<>();
            for (Future<Integer> status : statuses) {
                codes.add(status.get());
            }
            long created = codes.stream().filter(code -> code == 201).count();
            assertEquals(n - created, codes.stream().filter(code -> code == 429).count(), "statuses: " + codes);
            assertEquals(created, rowsOf(racer.owner()), "statuses: " + codes);
            return created;
        } finally {
            clients.shutdownNow();
        }
    }

    private static Response submit(Key key, String prompt, int images) {
        return submit(key, prompt, images, null);
    }

    private static Response submit(Key key, String prompt, int images, String idempotencyKey) {
        RequestSpecification request = key.request().contentType(ContentType.JSON)
                .body("{\"prompt\":\"" + prompt + "\",\"num_images\":" + images + "}");
        return (idempotencyKey == null ? request : request.header("Idempotency-Key", idempotencyKey))
                .post("/generated-images");
    }

    /** A finished job of {@code owner} submitted {@code age} ago (it counts in the windows, not as active). */
    private void insertFinished(String jobOwner, int images, Duration age) {
        OffsetDateTime at = OffsetDateTime.now(ZoneOffset.UTC).minus(age);
        pool.preparedQuery("""
                        INSERT INTO generated_images (id, status, prompt, num_steps, guidance_scale, seed, num_images,
                            total_steps, created_at, updated_at, finished_at, owner)
                        VALUES ($1, 'SUCCEEDED', 'from the past', 1, 7.5, 1, $2, 1, $3, $3, $3, $4)""")
                .execute(Tuple.of(UUID.randomUUID(), images, at, jobOwner)).await().atMost(Duration.ofSeconds(5));
    }

    private long rowsOf(String jobOwner) {
        return pool.preparedQuery("SELECT count(*) AS n FROM generated_images WHERE owner = $1")
                .execute(Tuple.of(jobOwner)).await().atMost(Duration.ofSeconds(5)).iterator().next().getLong("n");
    }

    private long rowsWithPrompt(String prompt) {
        return pool.preparedQuery("SELECT count(*) AS n FROM generated_images WHERE prompt = $1")
                .execute(Tuple.of(prompt)).await().atMost(Duration.ofSeconds(5)).iterator().next().getLong("n");
    }

    /** A counter of /q/metrics; with a {@code limit} tag value when given; 0 while it does not exist. */
    private double metric(String name, String limit) {
        String body = given().port(management.getPort()).get("/q/metrics").then().statusCode(200).extract().asString();
        String tags = limit == null ? "(?:\\{[^}]*})?" : "\\{[^}]*limit=\"" + Pattern.quote(limit) + "\"[^}]*}";
        Matcher matcher = Pattern.compile("(?m)^" + Pattern.quote(name) + tags + " ([0-9.eE+-]+)$").matcher(body);
        return matcher.find() ? Double.parseDouble(matcher.group(1)) : 0;
    }
}
