package io.texttoimage.gateway;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.Test;

import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The connection limit holds against slow clients (issue 11, part 6): connections that never finish their headers
 * (slowloris) count, one more is closed at once, and the gateway serves again once they go. Its own profile: the
 * limit is low enough for a test to reach, and other tests' keep-alive connections would reach it too.
 */
@QuarkusTest
@TestProfile(ConnectionLimitTest.LowLimit.class)
@WithTestResource(GatewayTestResources.class)
class ConnectionLimitTest {
    /** Low, so that a test can reach it; production has 2000 (docs/gateway-api.md, "Limits"). */
    private static final int MAX_CONNECTIONS = 24;
    private static final Duration IDLE_TIMEOUT = Duration.ofSeconds(2);

    public static class LowLimit implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quarkus.http.limits.max-connections", Integer.toString(MAX_CONNECTIONS),
                    "quarkus.http.idle-timeout", IDLE_TIMEOUT.toSeconds() + "S");
        }
    }

    @TestHTTPResource("/generated-images")
    URI api;

    @Test
    void aConnectionBeyondTheLimitIsClosedAtOnceAndTheGatewayServesOnceTheOthersGo() throws Exception {
        List<Socket> held = new ArrayList<>();
        try {
            // Slow clients, each half-way through its headers: together they hold every connection the gateway allows.
            for (int i = 0; i < MAX_CONNECTIONS; i++) {
                Socket socket = new Socket(api.getHost(), api.getPort());
                socket.getOutputStream().write("GET /capabilities HTTP/1.1\r\nHost: localhost\r\nX-Slow: "
                        .getBytes(StandardCharsets.US_ASCII));
                held.add(socket);
            }
            Thread.sleep(200); // accepted and counted by the server
            try (Socket extra = new Socket(api.getHost(), api.getPort())) {
                // well under the idle timeout: a close by then is the limit's, not the idle timer's
                extra.setSoTimeout((int) IDLE_TIMEOUT.toMillis() / 2);
                extra.getOutputStream().write("GET /capabilities HTTP/1.1\r\nHost: localhost\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
                int read;
                try {
                    read = extra.getInputStream().read();
                } catch (java.net.SocketException reset) {
                    read = -1;
                } catch (SocketTimeoutException e) {
                    throw new AssertionError("a connection beyond the limit of " + MAX_CONNECTIONS
                            + " was neither answered nor closed", e);
                }
                assertEquals(-1, read, "a connection beyond the limit of " + MAX_CONNECTIONS + " was served");
            }
        } finally {
            for (Socket socket : held) {
                socket.close();
            }
        }
        // The slow clients gone, the gateway serves new connections again (the count drops as they close).
        Eventually.await(Duration.ofSeconds(10), "the gateway serves again",
                () -> given().get("/capabilities").then().extract().statusCode() == 200);
    }

}
