package io.texttoimage.gateway;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a hostile or careless client can send (issue 11, part 6): JSON of the wrong types, duplicate fields, trailing
 * data, oversized bodies and headers, slow headers, odd ids and paging values, a forged Host, foreign origins. Each
 * gets a clear 4xx (problem+json where the gateway's code answers) and the connection limits hold.
 */
@QuarkusTest
@TestProfile(HardenedInputTest.Limits.class)
@WithTestResource(GatewayTestResources.class)
class HardenedInputTest {
    private static final String PROBLEM = "application/problem+json";
    private static final String PUBLIC_BASE_URL = "https://images.example.com";
    private static final String ALLOWED_ORIGIN = "https://app.example.com";
    private static final Duration IDLE_TIMEOUT = Duration.ofSeconds(2);

    /** A short idle timeout, so the slow client is cut off quickly; a public base URL; one allowed origin. */
    public static class Limits implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "quarkus.http.idle-timeout", IDLE_TIMEOUT.toSeconds() + "S",
                    "t2i.gateway.public-base-url", PUBLIC_BASE_URL + "/",
                    "quarkus.http.cors.enabled", "true",
                    "quarkus.http.cors.origins", ALLOWED_ORIGIN);
        }
    }

    // HTTP/1.1 on purpose: the JDK client would otherwise ask to upgrade to h2c, and a POST's body goes with the upgrade
    private static final HttpClient.Builder HTTP_1_1 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1);

    @TestHTTPResource("/generated-images")
    URI api;

    // ------------------------------------------------------------------ strict JSON

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "`{\"prompt\":5}`                           | prompt          | must be a string, not an integer",
            "`{\"prompt\":true}`                        | prompt          | must be a string, not a boolean",
            "`{\"prompt\":{\"text\":\"a\"}}`            | prompt          | must be a string, not an object",
            "`{\"prompt\":\"a\",\"negative_prompt\":3}` | negative_prompt | must be a string, not an integer",
            "`{\"prompt\":\"a\",\"scheduler\":false}`   | scheduler       | must be a string, not a boolean",
            "`{\"prompt\":\"a\",\"num_steps\":\"\"}`    | num_steps       | must be an integer, not a string",
            "`{\"prompt\":\"a\",\"num_steps\":\"20\"}`  | num_steps       | must be an integer, not a string",
            "`{\"prompt\":\"a\",\"num_steps\":20.5}`    | num_steps       | must be an integer, not a number with a fraction",
            "`{\"prompt\":\"a\",\"num_steps\":true}`    | num_steps       | must be an integer, not a boolean",
            "`{\"prompt\":\"a\",\"seed\":\"7\"}`        | seed            | must be an integer, not a string",
            "`{\"prompt\":\"a\",\"seed\":\"Boolean value\"}` | seed        | must be an integer, not a string",
            "`{\"prompt\":\"a\",\"num_images\":1.5}`    | num_images      | must be an integer, not a number with a fraction",
            "`{\"prompt\":\"a\",\"guidance_scale\":\"7.5\"}` | guidance_scale | must be a number, not a string",
            "`{\"prompt\":\"a\",\"guidance_scale\":false}`   | guidance_scale | must be a number, not a boolean",
    })
    void aValueOfAnotherJsonTypeIsRefusedNotConverted(String body, String field, String message) {
        given().contentType(ContentType.JSON).body(body).post("/generated-images")
                .then().statusCode(400).contentType(PROBLEM)
                .body("type", equalTo("https://texttoimage.io/problems/malformed-json"))
                .body("detail", equalTo("Field '" + field + "' " + message + "."))
                .body("errors.field", equalTo(List.of(field)))
                .body("errors.message", equalTo(List.of(message)));
    }

    @Test
    void anIntegerIsStillANumber() {
        given().contentType(ContentType.JSON).body("{\"prompt\":\"integer scale\",\"guidance_scale\":7}")
                .post("/generated-images")
                .then().statusCode(201).body("guidance_scale", equalTo(7.0f));
    }

    @Test
    void aFieldGivenTwiceIsRefused() {
        given().contentType(ContentType.JSON).body("{\"prompt\":\"a\",\"prompt\":\"b\"}").post("/generated-images")
                .then().statusCode(400).contentType(PROBLEM)
                .body("detail", equalTo("Field 'prompt' appears more than once in the request body; give each field "
                        + "once."))
                .body("errors.field", equalTo(List.of("prompt")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"prompt\":\"a\"}{\"prompt\":\"b\"}", "{\"prompt\":\"a\"} 5", "{\"prompt\":\"a\"}[]"})
    void anythingAfterTheJsonObjectIsRefused(String body) {
        given().contentType(ContentType.JSON).body(body).post("/generated-images")
                .then().statusCode(400).contentType(PROBLEM)
                .body("detail", startsWith("The request body must be a single JSON object with nothing after it"));
    }

    // ------------------------------------------------------------------ sizes, content type, slow clients

    @Test
    void anOversizedBodyIsA413Problem() {
        String body = "{\"prompt\":\"" + "a".repeat(70 * 1024) + "\"}";
        given().contentType(ContentType.JSON).body(body).post("/generated-images")
                .then().statusCode(413).contentType(PROBLEM)
                .body("status", equalTo(413))
                .body("detail", containsString("at most 65536 bytes"));
    }

    /** Without a Content-Length Quarkus counts the bytes itself and answers a plain 413 (no body), closing. */
    @Test
    void anOversizedChunkedBodyIsRefused() throws Exception {
        byte[] body = ("{\"prompt\":\"" + "a".repeat(70 * 1024) + "\"}").getBytes(StandardCharsets.UTF_8);
        HttpRequest request = HttpRequest.newBuilder(api).header("Content-Type", "application/json")
                // no length known in advance: the JDK client sends it chunked
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(body))).build();
        HttpResponse<String> response = HTTP_1_1.build().send(request, HttpResponse.BodyHandlers.ofString());
        assertEquals(413, response.statusCode(), response.body());
    }

    @Test
    void aPostWithoutContentTypeIsA415Problem() throws Exception {
        HttpRequest request = HttpRequest.newBuilder(api)
                .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"a\"}")).build();
        HttpResponse<String> response = HTTP_1_1.build().send(request, HttpResponse.BodyHandlers.ofString());
        assertEquals(415, response.statusCode(), response.body());
        assertEquals(PROBLEM, response.headers().firstValue("Content-Type").orElse(""));
        assertTrue(response.body().contains("The request has no Content-Type; this API takes JSON bodies: send "
                + "Content-Type: application/json."), response.body());
    }

    @Test
    void oversizedHeadersAndRequestLinesAreRefused() throws Exception {
        assertEquals(431, rawStatus("GET /generated-images HTTP/1.1\r\nHost: localhost\r\nX-Big: "
                + "b".repeat(20 * 1024) + "\r\n\r\n"));
        assertEquals(414, rawStatus("GET /generated-images?q=" + "q".repeat(5000) + " HTTP/1.1\r\nHost: localhost"
                + "\r\n\r\n"));
    }

    @Test
    void aClientThatStopsSendingItsHeadersIsDisconnected() throws Exception {
        try (Socket socket = new Socket(api.getHost(), api.getPort())) {
            socket.setSoTimeout((int) IDLE_TIMEOUT.multipliedBy(5).toMillis());
            OutputStream out = socket.getOutputStream();
            byte[] start = "GET /generated-images HTTP/1.1\r\nHost: localhost\r\nX-Slow: ".getBytes(StandardCharsets.US_ASCII);
            long began = System.nanoTime();
            for (byte b : start) { // byte by byte, then nothing: the headers never end
                out.write(b);
                out.flush();
                Thread.sleep(20);
            }
            long stoppedAt = System.nanoTime();
            int read;
            try {
                read = socket.getInputStream().read();
            } catch (SocketTimeoutException e) {
                throw new AssertionError("still connected " + IDLE_TIMEOUT.multipliedBy(5) + " after the client stopped"
                        + " sending (idle timeout " + IDLE_TIMEOUT + ")", e);
            } catch (java.net.SocketException reset) {
                read = -1; // reset instead of closed: disconnected all the same
            }
            Duration afterStop = Duration.ofNanos(System.nanoTime() - stoppedAt);
            assertEquals(-1, read, "the gateway answered a request whose headers never ended");
            assertTrue(afterStop.compareTo(IDLE_TIMEOUT.multipliedBy(3)) < 0, "disconnected only after " + afterStop
                    + " (sent for " + Duration.ofNanos(stoppedAt - began) + ")");
        }
    }

    // ------------------------------------------------------------------ ids, paging, Last-Event-ID

    @ParameterizedTest
    @ValueSource(strings = {"2147483647", "21474837"})
    void aPageBeyondTheLargestOffsetIsA400NamingTheLimit(String page) {
        given().queryParam("page", page).queryParam("size", "100").get("/generated-images")
                .then().statusCode(400).contentType(PROBLEM)
                .body("errors.field", equalTo(List.of("page")))
                .body("detail", startsWith("page × size must be at most 2147483647"));
    }

    @Test
    void aFarPageWithinTheLimitIsEmpty() {
        given().queryParam("page", "21474836").queryParam("size", "100").get("/generated-images")
                .then().statusCode(200).contentType(ContentType.JSON)
                .body("items.size()", equalTo(0))
                .body("page", equalTo(21474836));
    }

    @ParameterizedTest
    @ValueSource(strings = {"-1", "abc", "1e3", "+5", "0x10", "99999999999999999999"})
    void aLastEventIdThatIsNoEventIdIsA400(String lastEventId) {
        String id = given().contentType(ContentType.JSON).body("{\"prompt\":\"resume\"}").post("/generated-images")
                .then().statusCode(201).extract().path("id");
        given().header("Last-Event-ID", lastEventId).accept("text/event-stream")
                .get("/generated-images/" + id + "/events")
                .then().statusCode(400).contentType(PROBLEM)
                .body("errors.field", equalTo(List.of("Last-Event-ID")))
                .body("detail", startsWith("Last-Event-ID must be an event id: an integer between 0 and "));
    }

    // ------------------------------------------------------------------ Location, headers, CORS

    @Test
    void theLocationComesFromTheConfiguredBaseUrlNotTheHostHeader() {
        String location = given().header("Host", "evil.example").contentType(ContentType.JSON)
                .body("{\"prompt\":\"forged host\"}").post("/generated-images")
                .then().statusCode(201).extract().header("Location");
        assertTrue(location.startsWith(PUBLIC_BASE_URL + "/generated-images/"), location);
        assertTrue(!location.contains("evil.example") && !location.contains("//generated"), location);
    }

    @Test
    void everyResponseCarriesTheSecurityHeaders() {
        for (var response : List.of(given().get("/generated-images"),
                given().get("/generated-images/not-a-uuid"),
                given().contentType(ContentType.JSON).body("{\"prompt\":\"" + "a".repeat(70 * 1024) + "\"}")
                        .post("/generated-images"))) {
            response.then()
                    .header("X-Content-Type-Options", "nosniff")
                    .header("Referrer-Policy", "no-referrer")
                    .header("X-Frame-Options", "DENY")
                    .header("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
                    .header("Cache-Control", "no-store");
        }
        given().get("/q/openapi").then().statusCode(200)
                .header("X-Content-Type-Options", "nosniff")
                .header("X-Frame-Options", "DENY");
    }

    /** The web page (docs/web-page.md) gets a policy of its own, and must never need 'unsafe-inline'. */
    @Test
    void theWebPageHasItsOwnPolicyAndNoInlineCode() {
        String policy = "default-src 'self'; img-src * data:; connect-src 'self'; object-src 'none'; base-uri 'none';"
                + " form-action 'self'; frame-ancestors 'none'";
        for (String path : List.of("/", "/index.html", "/app.js", "/app.css")) {
            given().get(path).then().statusCode(200)
                    .header("Content-Security-Policy", policy)
                    .header("Cache-Control", "no-cache")
                    .header("X-Frame-Options", "DENY")
                    .header("X-Content-Type-Options", "nosniff");
        }
        String page = given().get("/").then().contentType(containsString("text/html")).extract().asString();
        assertTrue(page.contains("<script src=\"app.js\" defer></script>"), "the page loads app.js");
        assertTrue(!page.matches("(?s).*<script(?![^>]*\\ssrc=)[^>]*>.*"), "an inline <script> in index.html");
        assertTrue(!page.matches("(?s).*<style.*") && !page.matches("(?s).*\\sstyle=.*"), "inline style in index.html");
        assertTrue(!page.matches("(?s).*\\son[a-z]+=.*"), "an inline event handler in index.html");
    }

    @Test
    void onlyListedOriginsAreAllowed() {
        given().header("Origin", ALLOWED_ORIGIN).get("/generated-images")
                .then().statusCode(200).header("Access-Control-Allow-Origin", ALLOWED_ORIGIN);
        given().header("Origin", "https://evil.example").get("/generated-images")
                .then().statusCode(not(equalTo(200))).header("Access-Control-Allow-Origin", nullValue());
        given().header("Origin", "https://evil.example").header("Access-Control-Request-Method", "POST")
                .options("/generated-images")
                .then().header("Access-Control-Allow-Origin", nullValue());
    }

    /** Sends a hand-written request and returns the status of the answer. */
    private int rawStatus(String request) throws Exception {
        try (Socket socket = new Socket(api.getHost(), api.getPort())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            InputStream in = socket.getInputStream();
            String statusLine = new String(in.readNBytes(12), StandardCharsets.US_ASCII);
            assertTrue(statusLine.startsWith("HTTP/1."), statusLine); // Vert.x answers a bad request line in 1.0
            return Integer.parseInt(statusLine.substring(9, 12));
        }
    }
}
