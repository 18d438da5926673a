package io.texttoimage.e2e.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.texttoimage.localstack.client.ApiException;
import io.texttoimage.localstack.client.GatewayClient;
import io.texttoimage.localstack.client.SseEvent;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What a well-behaved client does while the system is being broken: submits with an {@code Idempotency-Key} and
 * retries the same request (same key, the other gateway) on a connection error or a 503 until it is accepted, and
 * follows each accepted job over SSE to its terminal event, reconnecting with {@code Last-Event-ID} to either
 * gateway when a stream breaks. Every HTTP answer it gets is recorded for the checks.
 */
final class ChaosClient {
    static final Set<String> TERMINAL = Set.of("succeeded", "failed", "cancelled");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final java.util.regex.Pattern JOB_ID = java.util.regex.Pattern.compile(
            "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

    /** One answer (or connection failure: status 0) to one request. */
    record Answer(Instant at, String what, String gateway, int status, boolean retryAfter, String detail) {
    }

    /** One client submission: its key, what it asked, and what became of it. */
    static final class Submission {
        final int index;
        final String idempotencyKey = UUID.randomUUID().toString();
        final Map<String, Object> request;
        volatile String jobId;
        volatile Instant acceptedAt;
        volatile int tries;
        volatile String terminalEvent;
        volatile Instant terminalAt;
        volatile int reconnects;
        volatile String streamError;
        /** The last answer to its submission (status and problem type/detail), for a report. */
        volatile String lastAnswer = "";
        /** Jobs a 503 said were stored as failed, not queued (docs/gateway-api.md: the retry makes a new job). */
        final Set<String> refusedIds = java.util.concurrent.ConcurrentHashMap.newKeySet();

        Submission(int index, Map<String, Object> request) {
            this.index = index;
            this.request = request;
        }

        String prompt() {
            return (String) request.get("prompt");
        }
    }

    private final List<URI> gateways;
    private final String apiKey;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
    final ConcurrentLinkedQueue<Answer> answers = new ConcurrentLinkedQueue<>();
    private final AtomicInteger turn = new AtomicInteger();

    ChaosClient(List<URI> gateways, String apiKey) {
        this.gateways = gateways;
        this.apiKey = apiKey;
    }

    private URI nextGateway() {
        return gateways.get(Math.floorMod(turn.getAndIncrement(), gateways.size()));
    }

    /** Submits until accepted or {@code giveUpAfter} has passed; true when accepted. */
    boolean submit(Submission submission, Duration giveUpAfter) throws InterruptedException {
        Instant deadline = Instant.now().plus(giveUpAfter);
        byte[] body;
        try {
            body = JSON.writeValueAsBytes(submission.request);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        while (Instant.now().isBefore(deadline)) {
            URI gateway = nextGateway();
            submission.tries++;
            HttpRequest post = new GatewayClient(gateway, apiKey).request("/generated-images")
                    .timeout(Duration.ofSeconds(15))
                    .header("Content-Type", "application/json").header("Accept", "application/json")
                    .header("Idempotency-Key", submission.idempotencyKey)
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
            try {
                HttpResponse<String> response = http.send(post, HttpResponse.BodyHandlers.ofString());
                int status = response.statusCode();
                boolean retryAfter = response.headers().firstValue("Retry-After").isPresent();
                answers.add(new Answer(Instant.now(), "submit", gateway.getHost(), status, retryAfter, detail(response.body())));
                submission.lastAnswer = status + " " + detail(response.body());
                if (status == 201 || status == 200) {
                    submission.jobId = JSON.readTree(response.body()).path("id").asText();
                    submission.acceptedAt = Instant.now();
                    return true;
                }
                if (status == 503) {
                    java.util.regex.Matcher ids = JOB_ID.matcher(response.body());
                    while (ids.find()) {
                        submission.refusedIds.add(ids.group());
                    }
                }
                if (status != 503 && status < 500) {
                    return false; // refused for good: recorded, not retried
                }
            } catch (IOException e) {
                answers.add(new Answer(Instant.now(), "submit", gateway.getHost(), 0, false, e.toString()));
                submission.lastAnswer = e.toString();
            }
            Thread.sleep(1000);
        }
        return false;
    }

    /**
     * Follows the job's stream until a terminal event, reconnecting (with the last event id) to the other gateway
     * after a break, until {@code giveUpAt}.
     */
    void follow(Submission submission, Instant giveUpAt) throws InterruptedException {
        String lastEventId = null;
        while (Instant.now().isBefore(giveUpAt)) {
            URI gateway = nextGateway();
            String[] lastSeen = {lastEventId};
            try {
                SseEvent last = new GatewayClient(gateway, apiKey).follow(submission.jobId, lastEventId, event -> {
                    if (event.id() != null && !event.id().isBlank()) {
                        lastSeen[0] = event.id();
                    }
                    if (TERMINAL.contains(event.event())) {
                        submission.terminalEvent = event.event();
                        submission.terminalAt = Instant.now();
                        return false;
                    }
                    return Instant.now().isBefore(giveUpAt);
                });
                answers.add(new Answer(Instant.now(), "events", gateway.getHost(), 200, false,
                        last == null ? "closed without events" : "last " + last.event()));
                if (submission.terminalEvent != null) {
                    return;
                }
            } catch (ApiException e) {
                answers.add(new Answer(Instant.now(), "events", gateway.getHost(), e.status(), false, e.getMessage()));
                submission.streamError = e.getMessage();
            } catch (IOException e) {
                answers.add(new Answer(Instant.now(), "events", gateway.getHost(), 0, false, e.toString()));
                submission.streamError = e.toString();
            }
            lastEventId = lastSeen[0];
            submission.reconnects++;
            Thread.sleep(1000);
        }
    }

    /** The job's images through the gateway's signed URLs, downloaded from S3. */
    List<byte[]> images(String jobId) throws IOException, InterruptedException {
        GatewayClient client = new GatewayClient(nextGateway(), apiKey);
        JsonNode urls = client.signedUrls(jobId);
        List<byte[]> images = new java.util.ArrayList<>();
        for (JsonNode image : urls.path("images")) {
            images.add(client.download(URI.create(image.path("url").asText())));
        }
        return images;
    }

    private static String detail(String body) {
        try {
            JsonNode problem = JSON.readTree(body);
            return problem.path("type").asText("") + " " + problem.path("detail").asText("");
        } catch (IOException | RuntimeException e) {
            return body.length() > 120 ? body.substring(0, 120) : body;
        }
    }
}
