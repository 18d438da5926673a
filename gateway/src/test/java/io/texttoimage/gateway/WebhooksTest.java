package io.texttoimage.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.texttoimage.contracts.JobEventType;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Webhooks against real servers: the gateway on real PostgreSQL and RabbitMQ, the generator played over the broker,
 * and a real HTTP receiver (the JDK's server) on 127.0.0.7, the one loopback address the tests allow
 * ({@link GatewayTestResources}: retries from 0.2 s doubling to 1 s, given up after 3 s, progress at most once a
 * second).
 */
@QuarkusTest
@WithTestResource(GatewayTestResources.class)
class WebhooksTest extends WithFakeGenerator {
    /** Health and metrics are on the management interface, not on the API's port. */
    @TestHTTPResource(value = "/", management = true)
    java.net.URL management;

    private static final Duration WAIT = Duration.ofSeconds(15);
    private static final ObjectMapper JSON = new ObjectMapper();

    @Inject
    Pool pool;

    private WebhookReceiver receiver;

    @BeforeEach
    void startReceiver() throws Exception {
        receiver = new WebhookReceiver();
    }

    @AfterEach
    void stopReceiver() {
        receiver.close();
    }

    @Test
    void runningAndCompletedArriveSignedWithTheRecordAsBody() throws Exception {
        String path = "/ok/" + UUID.randomUUID();
        UUID id = submit(receiver.url(path, n -> 200), List.of("running", "completed"));
        generator.takeRequest(id, WAIT);

        generator.publish(FakeGenerator.running(id, 1, 20));
        Eventually.await(WAIT, "the running delivery", () -> receiver.received(path).size() == 1);
        WebhookReceiver.Delivery running = receiver.received(path).getFirst();
        assertSigned(running);
        assertEquals("running", running.header("t2i-webhook-event"));
        assertEquals(GatewayTestResources.WEBHOOK_RECEIVER_HOST + ":" + receiver.port(),
                running.header("Host"), "the URL's host, although the gateway connected to the address it checked");
        JsonNode runningBody = JSON.readTree(running.body());
        assertEquals(id.toString(), runningBody.path("id").asText());
        assertEquals("running", runningBody.path("status").asText());

        long published = System.nanoTime();
        generator.publish(FakeGenerator.succeeded(id, 2, 20, List.of("images/" + id + "/0.png")));
        Eventually.await(WAIT, "the completed delivery", () -> receiver.received(path).size() == 2);
        System.out.printf("webhook: SUCCEEDED published -> completed delivery received in %.0f ms (poll 0.1 s)%n",
                (receiver.receivedAt(path, 1) - published) / 1e6);
        WebhookReceiver.Delivery completed = receiver.received(path).get(1);
        assertSigned(completed);
        assertEquals("completed", completed.header("t2i-webhook-event"));
        assertEquals("application/json", completed.header("Content-Type"));
        JsonNode body = JSON.readTree(completed.body());
        assertEquals("succeeded", body.path("status").asText());
        assertEquals("images/" + id + "/0.png", body.path("image_keys").get(0).asText());

        // the body is the record as GET has it (only the webhook's own progress moved on since)
        JsonNode record = awaitRecord(id, "both delivered", r -> r.path("webhook").path("deliveries").size() == 2
                && r.path("webhook").path("deliveries").findValues("delivered_at").stream().allMatch(JsonNode::isTextual));
        JsonNode withoutWebhook = record.deepCopy();
        ((com.fasterxml.jackson.databind.node.ObjectNode) withoutWebhook).remove("webhook");
        ((com.fasterxml.jackson.databind.node.ObjectNode) body).remove("webhook");
        assertEquals(withoutWebhook, body);
        assertEquals(List.of("running", "completed"), JSON.convertValue(record.path("webhook").path("events"), List.class));
        for (JsonNode delivery : record.path("webhook").path("deliveries")) {
            assertEquals(1, delivery.path("attempts").asInt(), delivery.toString());
            assertEquals(200, delivery.path("last_status").asInt(), delivery.toString());
            assertTrue(delivery.path("given_up_at").isNull(), delivery.toString());
        }
        Thread.sleep(500);
        assertEquals(2, receiver.received(path).size(), "each event once, although two paths wrote the end");
    }

    @Test
    void aFailingReceiverGetsTheSameMessageAgainUntilItAnswers2xx() throws Exception {
        String path = "/flaky/" + UUID.randomUUID();
        UUID id = submit(receiver.url(path, n -> n <= 2 ? 500 : 200), null);
        generator.takeRequest(id, WAIT);
        generator.publish(FakeGenerator.failed(id, 1, "out of memory"));

        JsonNode record = awaitRecord(id, "delivered", r -> r.path("webhook").path("deliveries").path(0)
                .path("delivered_at").isTextual());
        JsonNode delivery = record.path("webhook").path("deliveries").get(0);
        assertEquals("completed", delivery.path("event").asText());
        assertEquals(3, delivery.path("attempts").asInt(), delivery.toString());
        assertEquals(200, delivery.path("last_status").asInt());
        assertTrue(delivery.path("last_error").isNull(), "the last attempt worked: " + delivery);
        List<WebhookReceiver.Delivery> got = receiver.received(path);
        assertEquals(3, got.size());
        assertEquals(1, got.stream().map(d -> d.header("webhook-id")).distinct().count(), "one message, three tries");
        assertEquals(1, got.stream().map(WebhookReceiver.Delivery::body).distinct().count(), "the same bytes");
        got.forEach(this::assertSigned);
        assertEquals("failed", JSON.readTree(got.getFirst().body()).path("status").asText());
    }

    @Test
    void aDeliveryThatKeepsFailingIsGivenUpAndSaysWhy() throws Exception {
        String path = "/down/" + UUID.randomUUID();
        UUID id = submit(receiver.url(path, n -> 503), List.of("completed"));
        generator.takeRequest(id, WAIT);
        generator.publish(FakeGenerator.event(id, JobEventType.CANCELLED, 1, 1, 20));

        JsonNode record = awaitRecord(id, "given up", r -> r.path("webhook").path("deliveries").path(0)
                .path("given_up_at").isTextual());
        JsonNode delivery = record.path("webhook").path("deliveries").get(0);
        assertTrue(delivery.path("delivered_at").isNull());
        assertEquals(503, delivery.path("last_status").asInt());
        assertEquals("HTTP 503 from the receiver", delivery.path("last_error").asText());
        int attempts = delivery.path("attempts").asInt();
        // 0, 0.2, 0.6, 1.4, 2.4 s ... until the next try would be 3 s after the end
        assertTrue(attempts >= 3 && attempts <= 6, delivery.toString());
        assertEquals(attempts, receiver.received(path).size());
        Thread.sleep(1500);
        assertEquals(attempts, receiver.received(path).size(), "nothing after giving up");
        String metrics = given().port(management.getPort()).get("/q/metrics").then().statusCode(200).extract().asString();
        for (String counter : List.of("sent", "failed", "given_up")) {
            assertTrue(metrics.lines().anyMatch(line -> line.startsWith("t2i_gateway_webhooks_deliveries_" + counter
                    + "_total") && !line.endsWith(" 0.0")), counter + " in\n" + metrics);
        }
    }

    @Test
    void anAddressAllowedAtSubmissionButForbiddenAtDeliveryIsNotCalled() throws Exception {
        // as after DNS rebinding: the name that resolved to an allowed address resolves to a forbidden one now
        String path = "/rebound/" + UUID.randomUUID();
        UUID id = submit(receiver.url(path, n -> 200), null);
        generator.takeRequest(id, WAIT);
        pool.preparedQuery("UPDATE generated_images SET webhook_url = $2 WHERE id = $1")
                .execute(Tuple.of(id, "http://127.0.0.1:" + receiver.port() + path)).await().atMost(WAIT);
        generator.publish(FakeGenerator.failed(id, 1, "boom"));
        JsonNode record = awaitRecord(id, "given up", r -> r.path("webhook").path("deliveries").path(0)
                .path("given_up_at").isTextual());
        JsonNode delivery = record.path("webhook").path("deliveries").get(0);
        assertEquals(1, delivery.path("attempts").asInt(), "not retried: " + delivery);
        assertTrue(delivery.path("last_status").isNull());
        assertTrue(delivery.path("last_error").asText().startsWith("refused: the host is 127.0.0.1, a loopback "
                + "address"), delivery.toString());
        assertEquals(0, receiver.received(path).size());
    }

    @Test
    void gone410StopsAtOnce() throws Exception {
        String path = "/gone/" + UUID.randomUUID();
        UUID id = submit(receiver.url(path, n -> 410), null);
        generator.takeRequest(id, WAIT);
        generator.publish(FakeGenerator.failed(id, 1, "boom"));
        JsonNode record = awaitRecord(id, "given up", r -> r.path("webhook").path("deliveries").path(0)
                .path("given_up_at").isTextual());
        assertEquals(1, record.path("webhook").path("deliveries").get(0).path("attempts").asInt());
    }

    @Test
    void anEndTheGatewayDecidesItselfCallsBackToo() throws Exception {
        String path = "/expired/" + UUID.randomUUID();
        String id = given().contentType(ContentType.JSON).body(Map.of("prompt", "nobody takes me", "queue_timeout", 1,
                        "webhook", Map.of("url", receiver.url(path, n -> 200))))
                .post("/generated-images").then().statusCode(201).extract().path("id");
        Eventually.await(WAIT, "the completed delivery", () -> receiver.received(path).size() == 1);
        JsonNode body = JSON.readTree(receiver.received(path).getFirst().body());
        assertEquals(id, body.path("id").asText());
        assertEquals("failed", body.path("status").asText());
        assertTrue(body.path("error").asText().contains("expired in the queue"), body.toString());
        assertSigned(receiver.received(path).getFirst());
    }

    @Test
    void internalAddressesAreRefusedAtSubmission() {
        Map<String, String> refused = Map.of(
                "http://127.0.0.1:8080/hook", "127.0.0.1, a loopback address",
                "http://10.1.2.3/hook", "10.1.2.3, a private address",
                "http://169.254.169.254/latest/meta-data/", "link-local address (cloud metadata",
                "http://[::1]:8080/hook", "a loopback address",
                "http://localhost:9/hook", "'localhost' resolves to ",
                "http://[::ffff:10.0.0.1]/hook", "10.0.0.1, a private address",
                "http://100.64.0.1/hook", "carrier-grade NAT");
        refused.forEach((url, reason) -> given().contentType(ContentType.JSON)
                .body(Map.of("prompt", "ssrf", "webhook", Map.of("url", url))).post("/generated-images")
                .then().statusCode(400).contentType("application/problem+json")
                .body("type", equalTo("https://texttoimage.io/problems/invalid-request"))
                .body("errors[0].field", equalTo("webhook.url"))
                .body("errors[0].message", containsString(reason))
                .body("errors[0].message", containsString("t2i.gateway.webhooks.allowed-hosts")));
    }

    @Test
    void malformedWebhooksAreFieldErrors() {
        Map<String, Object> cases = Map.of(
                "ftp://example.com/hook", "absolute http:// or https:// URL",
                "/relative/hook", "absolute http:// or https:// URL",
                "http://user:secret@127.0.0.7/hook", "must not contain user information",
                "", "must not be blank");
        cases.forEach((url, message) -> given().contentType(ContentType.JSON)
                .body(Map.of("prompt", "bad url", "webhook", Map.of("url", url))).post("/generated-images")
                .then().statusCode(400).body("errors[0].field", equalTo("webhook.url"))
                .body("errors[0].message", containsString((String) message)));
        given().contentType(ContentType.JSON).body(Map.of("prompt", "bad events", "webhook",
                        Map.of("url", receiver.url("/x", n -> 200), "events", List.of("completed", "finished"))))
                .post("/generated-images").then().statusCode(400).body("errors[0].field", equalTo("webhook.events"))
                .body("errors[0].message", containsString("unknown event 'finished': the events are running, "
                        + "progress, completed"));
        given().contentType(ContentType.JSON).body(Map.of("prompt", "no events", "webhook",
                        Map.of("url", receiver.url("/x", n -> 200), "events", List.of())))
                .post("/generated-images").then().statusCode(400).body("errors[0].field", equalTo("webhook.events"));
        given().contentType(ContentType.JSON).body("{\"prompt\":\"typo\",\"webhook\":{\"url\":\"http://127.0.0.7/\","
                        + "\"evnts\":[\"running\"]}}")
                .post("/generated-images").then().statusCode(400).body("errors[0].field", equalTo("webhook.evnts"))
                .body("detail", containsString("did you mean 'events'?"));
        given().contentType(ContentType.JSON).body("{\"prompt\":\"string\",\"webhook\":\"http://127.0.0.7/\"}")
                .post("/generated-images").then().statusCode(400).body("errors[0].field", equalTo("webhook"));
    }

    @Test
    void progressIsThrottledToOnePerInterval() throws Exception {
        String path = "/progress/" + UUID.randomUUID();
        UUID id = submit(receiver.url(path, n -> 200), List.of("progress"));
        generator.takeRequest(id, WAIT);
        generator.publish(FakeGenerator.running(id, 1, 200));
        long start = System.nanoTime();
        int step = 0;
        while (System.nanoTime() - start < Duration.ofMillis(3200).toNanos()) {
            step++;
            generator.publish(FakeGenerator.event(id, JobEventType.PROGRESS, 1 + step, step, 200));
            Thread.sleep(50);
        }
        Thread.sleep(1000);
        int got = receiver.received(path).size();
        // ~60 progress events over 3.2 s, one delivery per second at most: 3 or 4 (the first at once)
        assertTrue(got >= 2 && got <= 4, "progress deliveries: " + got);
        receiver.received(path).forEach(this::assertSigned);
        receiver.received(path).forEach(d -> assertEquals("progress", d.header("t2i-webhook-event")));
        JsonNode record = given().get("/generated-images/" + id).then().statusCode(200).extract().as(JsonNode.class);
        assertEquals(1, record.path("webhook").path("deliveries").size(), "the latest progress only: " + record);
        assertEquals(1, record.path("webhook").path("deliveries").get(0).path("attempts").asInt());
    }

    @Test
    void aDeliveryLeftPendingByACrashIsSentByTheRelay() throws Exception {
        String path = "/after-crash/" + UUID.randomUUID();
        UUID id = submit(receiver.url(path, n -> 200), List.of("completed"));
        // what a replica that died right after recording the end leaves behind: the row, nothing sent
        UUID message = UUID.randomUUID();
        pool.preparedQuery("INSERT INTO webhook_deliveries (message_id, job_id, event, enqueued_at, next_attempt_at) "
                + "VALUES ($1, $2, 'completed', now(), now())").execute(Tuple.of(message, id)).await().atMost(WAIT);
        Eventually.await(WAIT, "the pending delivery", () -> receiver.received(path).size() == 1);
        assertEquals(message.toString(), receiver.received(path).getFirst().header("webhook-id"));
        assertSigned(receiver.received(path).getFirst());
    }

    @Test
    void aJobWithoutWebhookHasNone() {
        given().contentType(ContentType.JSON).body("{\"prompt\":\"no webhook\"}").post("/generated-images")
                .then().statusCode(201).body("webhook", nullValue());
    }

    private UUID submit(String url, List<String> events) {
        Map<String, Object> webhook = events == null ? Map.of("url", url) : Map.of("url", url, "events", events);
        String id = given().contentType(ContentType.JSON).body(Map.of("prompt", "call me back", "num_steps", 20,
                        "webhook", webhook))
                .post("/generated-images").then().statusCode(201)
                .body("webhook.url", equalTo(url))
                .body("webhook.deliveries.size()", equalTo(0))
                .extract().path("id");
        return UUID.fromString(id);
    }

    private JsonNode awaitRecord(UUID id, String what, java.util.function.Predicate<JsonNode> condition)
            throws InterruptedException {
        JsonNode[] last = new JsonNode[1];
        Eventually.await(WAIT, what + " (last record: " + id + ")", () -> {
            last[0] = given().get("/generated-images/" + id).then().statusCode(200).extract().as(JsonNode.class);
            return condition.test(last[0]);
        });
        return last[0];
    }

    private void assertSigned(WebhookReceiver.Delivery delivery) {
        try {
            assertNotNull(delivery.header("webhook-id"));
            assertTrue(WebhookVerifier.verify(GatewayTestResources.WEBHOOK_SECRET, delivery.header("webhook-id"),
                    delivery.header("webhook-timestamp"), delivery.header("webhook-signature"),
                    delivery.body().getBytes(StandardCharsets.UTF_8), 300), "signature of " + delivery.headers());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
