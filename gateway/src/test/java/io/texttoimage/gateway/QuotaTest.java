package io.texttoimage.gateway;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import io.texttoimage.contracts.GenerationRequested;
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
 * Quotas per owner (issue 11, part 3) against real PostgreSQL and RabbitMQ, with the production defaults (20 active
 * jobs, 120 submissions a minute) and a daily image limit of 40: each limit answers 429 problem+json with limit, max
 * and Retry-After, stores and publishes nothing, counts in the metric; a key's own limits win; concurrent
 * submissions never overshoot; replays of an Idempotency-Key are neither counted nor refused.
 */
@QuarkusTest
@TestProfile(QuotaTest.ProductionDefaults.class)
@WithTestResource(GatewayTestResources.class)
class QuotaTest extends WithFakeGenerator {
    private static final String PROBLEM = "application/problem+json";

    /** The defaults of application.properties without the %test profile's unreachable ones, and a daily limit. */
    public static class ProductionDefaults implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("t2i.gateway.quotas.max-active-jobs", "20",
                    "t2i.gateway.quotas.submissions-per-minute", "120",
                    "t2i.gateway.quotas.images-per-day", "40");
        }
    }

    @Inject
    Pool pool;
    /** Health and metrics are on the management interface, not on the API's port. */
    @TestHTTPResource(value = "/", management = true)
    URL management;

    private final String owner = "quota-" + UUID.randomUUID();

    @Test
    void theTwentyFirstActiveJobIsRefusedWith429AndNothingIsStoredOrPublished() throws Exception {
        for (int i = 0; i < 20; i++) {
            submit(owner, null, "active " + i, 1).then().statusCode(201);
        }
        double refusedBefore = metric("t2i_gateway_quota_refusals_total", "active_jobs");
        double submittedBefore = metric("t2i_gateway_jobs_submitted_total", null);

        submit(owner, null, "one too many", 1).then().statusCode(429).contentType(PROBLEM)
                .header("Retry-After", "5")
                .body("type", endsWith("/quota-exceeded")).body("title", equalTo("Quota exceeded"))
                .body("status", equalTo(429)).body("limit", equalTo("active_jobs")).body("max", equalTo(20))
                .body("instance", equalTo("/generated-images"));

        assertEquals(20, rowsOf(owner));
        assertEquals(0, rowsWithPrompt("one too many"));
        assertEquals(refusedBefore + 1, metric("t2i_gateway_quota_refusals_total", "active_jobs"));
        assertEquals(submittedBefore, metric("t2i_gateway_jobs_submitted_total", null), "nothing published");
        // Quotas are per owner: another one still submits; and the refused job never reached the broker.
        String marker = submit("quota-other-" + UUID.randomUUID(), null, "marker", 1).then().statusCode(201)
                .extract().path("id");
        List<GenerationRequested> published = generator.takeRequestsUntil(UUID.fromString(marker),
                Duration.ofSeconds(20));
        assertTrue(published.stream().noneMatch(request -> request.prompt().equals("one too many")));
    }

    @Test
    void aKeysOwnLimitsWinOverTheDefaults() {
        for (int i = 0; i < 2; i++) {
            submit(owner, "active=2", "lower " + i, 1).then().statusCode(201);
        }
        submit(owner, "active=2", "over the key's own", 1).then().statusCode(429)
                .body("limit", equalTo("active_jobs")).body("max", equalTo(2));

        String generous = "quota-generous-" + UUID.randomUUID();
        for (int i = 0; i < 25; i++) {
            submit(generous, "active=25", "higher " + i, 1).then().statusCode(201);
        }
        submit(generous, "active=25", "26th", 1).then().statusCode(429).body("max", equalTo(25));
    }

    @Test
    void theSubmissionsOfTheLastMinuteAreLimitedWithARetryAfterUntilTheOldestLeavesTheWindow() {
        long start = System.nanoTime();
        for (int i = 0; i < 5; i++) {
            submit(owner, "active=1000,minute=5", "minute " + i, 1).then().statusCode(201);
        }
        double refusedBefore = metric("t2i_gateway_quota_refusals_total", "submissions_per_minute");
        Response refused = submit(owner, "active=1000,minute=5", "sixth in a minute", 1);
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
        insertFinished(owner, 1, Duration.ofMillis(57_500));
        insertFinished(owner, 1, Duration.ofSeconds(20));
        Response refused = submit(owner, "minute=2", "the window is full", 1);
        refused.then().statusCode(429).body("limit", equalTo("submissions_per_minute"));
        int retryAfter = Integer.parseInt(refused.header("Retry-After"));
        assertTrue(retryAfter >= 1 && retryAfter <= 3, "the oldest leaves in 2.5 s: Retry-After " + retryAfter);

        Thread.sleep(retryAfter * 1000L + 200);
        submit(owner, "minute=2", "the oldest has left", 1).then().statusCode(201);
    }

    @Test
    void theImagesOfTheLastDayAreLimitedByTheConfiguredDefault() {
        for (int i = 0; i < 10; i++) {
            submit(owner, null, "four images " + i, 4).then().statusCode(201);
        }
        double refusedBefore = metric("t2i_gateway_quota_refusals_total", "images_per_day");
        Response refused = submit(owner, null, "one image too many", 1);
        refused.then().statusCode(429).contentType(PROBLEM).body("limit", equalTo("images_per_day"))
                .body("max", equalTo(40));
        int retryAfter = Integer.parseInt(refused.header("Retry-After"));
        assertTrue(retryAfter > 86_000 && retryAfter <= 86_400, "Retry-After " + retryAfter);
        assertEquals(refusedBefore + 1, metric("t2i_gateway_quota_refusals_total", "images_per_day"));
        assertEquals(10, rowsOf(owner));
    }

    @Test
    void theDailyImagesAreSummedAndTheRetryAfterWaitsForEnoughOfThemToLeave() {
        insertFinished(owner, 4, Duration.ofHours(24).minusSeconds(3));
        Response refused = submit(owner, "day=5", "two more than five", 2);
        refused.then().statusCode(429).body("limit", equalTo("images_per_day")).body("max", equalTo(5));
        int retryAfter = Integer.parseInt(refused.header("Retry-After"));
        assertTrue(retryAfter >= 1 && retryAfter <= 3, "the 4 images leave in 3 s: Retry-After " + retryAfter);
        submit(owner, "day=5", "one still fits", 1).then().statusCode(201);
    }

    @Test
    void concurrentSubmissionsOverALimitStoreExactlyTheLimit() throws Exception {
        assertEquals(5, raceSubmissions(owner, "active=5", 24));
        String perMinute = "quota-race-minute-" + UUID.randomUUID();
        assertEquals(4, raceSubmissions(perMinute, "active=1000,minute=4", 24));
    }

    @Test
    void replaysOfAnIdempotencyKeyAreNeitherCountedNorRefused() {
        String key = UUID.randomUUID().toString();
        String id = submit(owner, "active=1000,minute=2", "kept by its key", 1, key).then().statusCode(201)
                .extract().path("id");
        for (int i = 0; i < 3; i++) {
            submit(owner, "active=1000,minute=2", "kept by its key", 1, key).then().statusCode(200)
                    .header("Idempotent-Replayed", "true").body("id", equalTo(id));
        }
        submit(owner, "active=1000,minute=2", "second of the minute", 1).then().statusCode(201);
        // Now at the limit: a replay is still answered, a new submission is not.
        submit(owner, "active=1000,minute=2", "kept by its key", 1, key).then().statusCode(200)
                .body("id", equalTo(id));
        submit(owner, "active=1000,minute=2", "third", 1, UUID.randomUUID().toString()).then().statusCode(429);
        assertEquals(2, rowsOf(owner));
    }

    /** Submits {@code n} jobs at once; yields how many were stored, after checking every other one got a 429. */
    private long raceSubmissions(String racer, String quotas, int n) throws Exception {
        ExecutorService clients = Executors.newFixedThreadPool(n);
        try {
            List<Future<Integer>> statuses = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int index = i;
                statuses.add(clients.submit(() -> submit(racer, quotas, "race " + index, 1).statusCode()));
            }
            List<Integer> codes = new ArrayList<>();
            for (Future<Integer> status : statuses) {
                codes.add(status.get());
            }
            long created = codes.stream().filter(code -> code == 201).count();
            assertEquals(n - created, codes.stream().filter(code -> code == 429).count(), "statuses: " + codes);
            assertEquals(created, rowsOf(racer), "statuses: " + codes);
            return created;
        } finally {
            clients.shutdownNow();
        }
    }

    private static RequestSpecification as(String owner, String quotas) {
        RequestSpecification request = given().header(TestCallers.OWNER, owner);
        return quotas == null ? request : request.header(TestCallers.QUOTAS, quotas);
    }

    private static Response submit(String owner, String quotas, String prompt, int images) {
        return submit(owner, quotas, prompt, images, null);
    }

    private static Response submit(String owner, String quotas, String prompt, int images, String key) {
        RequestSpecification request = as(owner, quotas).contentType(ContentType.JSON)
                .body("{\"prompt\":\"" + prompt + "\",\"num_images\":" + images + "}");
        return (key == null ? request : request.header("Idempotency-Key", key)).post("/generated-images");
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
