package io.texttoimage.localstack.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.texttoimage.cli.SseReader;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.function.Predicate;

/**
 * A small client of the gateway's public REST API (java.net.http + Jackson): submit, read, cancel, follow the SSE
 * stream, fetch signed URLs, download. Used by the quick start and by the end-to-end tests.
 */
public final class GatewayClient {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI baseUri;
    private final HttpClient http;
    /** Sent as {@code Authorization: Bearer} to the gateway (never to signed URLs); null: none. */
    private final String apiKey;

    /** A client that sends no credential (a gateway with authentication off). */
    public GatewayClient(URI baseUri) {
        this(baseUri, null);
    }

    public GatewayClient(URI baseUri, String apiKey) {
        this.baseUri = baseUri;
        this.apiKey = apiKey == null || apiKey.isBlank() ? null : apiKey;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    }

    public URI baseUri() {
        return baseUri;
    }

    /** The same gateway with another credential (null: none). */
    public GatewayClient withApiKey(String otherKey) {
        return new GatewayClient(baseUri, otherKey);
    }

    /** POST /admin/api-keys {"name": name} (an admin key needed): the record with its "key", shown only this once. */
    public JsonNode createApiKey(String name) throws IOException, InterruptedException {
        HttpRequest post = request("/admin/api-keys").timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json").header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(Map.of("name", name)))).build();
        return expect(201, http.send(post, HttpResponse.BodyHandlers.ofString()));
    }

    /** GET /admin/api-keys (an admin key needed): {"items":[…]}, newest first, revoked ones too. */
    public JsonNode listApiKeys() throws IOException, InterruptedException {
        return expect(200, http.send(jsonGet("/admin/api-keys"), HttpResponse.BodyHandlers.ofString()));
    }

    /** DELETE /admin/api-keys/{id} (an admin key needed): the record, revoked. */
    public JsonNode revokeApiKey(String id) throws IOException, InterruptedException {
        HttpRequest delete = request("/admin/api-keys/" + id).timeout(Duration.ofSeconds(30))
                .header("Accept", "application/json").DELETE().build();
        return expect(200, http.send(delete, HttpResponse.BodyHandlers.ofString()));
    }

    /** GET {@code path} with the credential, the body as text: for endpoints this client has no method for. */
    public HttpResponse<String> getText(String path) throws IOException, InterruptedException {
        return http.send(request(path).timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A request to the gateway, with the credential when there is one. */
    public HttpRequest.Builder request(String path) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(baseUri.resolve(path));
        if (apiKey != null) {
            builder.header("Authorization", "Bearer " + apiKey);
        }
        return builder;
    }

    /** POST /generated-images; returns the stored record (201). */
    public JsonNode submit(Map<String, ?> request) throws IOException, InterruptedException {
        HttpRequest post = request("/generated-images")
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(request)))
                .build();
        return expect(201, http.send(post, HttpResponse.BodyHandlers.ofString()));
    }

    public JsonNode get(String id) throws IOException, InterruptedException {
        return expect(200, http.send(jsonGet("/generated-images/" + id), HttpResponse.BodyHandlers.ofString()));
    }

    /** GET /generated-images/{id}/url: {"expires_at", "images":[{"index","key","url"}]}. */
    public JsonNode signedUrls(String id) throws IOException, InterruptedException {
        return expect(200, http.send(jsonGet("/generated-images/" + id + "/url"), HttpResponse.BodyHandlers.ofString()));
    }

    /** DELETE /generated-images/{id}: asks for cancellation (202). */
    public JsonNode cancel(String id) throws IOException, InterruptedException {
        HttpRequest delete = request("/generated-images/" + id)
                .timeout(Duration.ofSeconds(30)).header("Accept", "application/json").DELETE().build();
        return expect(202, http.send(delete, HttpResponse.BodyHandlers.ofString()));
    }

    /** Downloads a signed URL with no credentials at all, as any browser would. */
    public byte[] download(URI signedUrl) throws IOException, InterruptedException {
        HttpResponse<byte[]> response = http.send(HttpRequest.newBuilder(signedUrl).timeout(Duration.ofMinutes(2)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        if (response.statusCode() != 200) {
            throw new ApiException(response.statusCode(), "Downloading " + signedUrl.getHost() + signedUrl.getPath()
                    + " answered HTTP " + response.statusCode());
        }
        return response.body();
    }

    /**
     * Follows GET /generated-images/{id}/events and hands each event to {@code onEvent} until the server closes
     * the stream or {@code onEvent} returns false. Returns the last event seen (null if none).
     */
    public SseEvent follow(String id, String lastEventId, Predicate<SseEvent> onEvent) throws IOException, InterruptedException {
        HttpRequest.Builder request = request("/generated-images/" + id + "/events")
                .header("Accept", "text/event-stream");
        if (lastEventId != null) {
            request.header("Last-Event-ID", lastEventId);
        }
        HttpResponse<InputStream> response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
        if (response.statusCode() != 200) {
            String body = new String(response.body().readAllBytes(), StandardCharsets.UTF_8);
            throw new ApiException(response.statusCode(), problemDetail(response.statusCode(), body));
        }
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            return readEvents(reader, onEvent);
        }
    }

    /** Reads events with the t2i client's SSE parser until {@code onEvent} returns false or the stream ends. */
    static SseEvent readEvents(BufferedReader reader, Predicate<SseEvent> onEvent) throws IOException {
        SseReader sse = new SseReader(reader);
        SseEvent last = null;
        for (SseReader.Event event = sse.next(); event != null; event = sse.next()) {
            last = new SseEvent(event.id(), event.name(), event.data());
            if (!onEvent.test(last)) {
                return last;
            }
        }
        return last;
    }

    public static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private HttpRequest jsonGet(String path) {
        return request(path).timeout(Duration.ofSeconds(30)).header("Accept", "application/json").build();
    }

    private static JsonNode expect(int status, HttpResponse<String> response) {
        if (response.statusCode() != status) {
            throw new ApiException(response.statusCode(), problemDetail(response.statusCode(), response.body()));
        }
        return json(response.body());
    }

    /** "title: detail (field: message, ...)" from an RFC 9457 body, or the raw body if it is not one. */
    static String problemDetail(int status, String body) {
        try {
            JsonNode problem = JSON.readTree(body);
            StringBuilder text = new StringBuilder("HTTP ").append(status);
            if (problem.hasNonNull("title")) {
                text.append(' ').append(problem.get("title").asText());
            }
            if (problem.hasNonNull("detail")) {
                text.append(": ").append(problem.get("detail").asText());
            }
            if (problem.has("errors")) {
                for (JsonNode error : problem.get("errors")) {
                    text.append("\n  ").append(error.path("field").asText()).append(": ").append(error.path("message").asText());
                }
            }
            return text.toString();
        } catch (IOException | RuntimeException notJson) {
            return "HTTP " + status + ": " + body;
        }
    }
}
