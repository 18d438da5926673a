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
    /**
     * Long enough that no held connection is closed by the idle timer while the test runs, however loaded the machine:
     * a CI run once saw the extra connection served because the idle timer had already freed held ones.
     */
    private static final Duration IDLE_TIMEOUT = Duration.ofSeconds(30);
    /** A close by the limit is immediate; this only bounds the wait when the limit fails to close it. */
    private static final Duration EXTRA_READ_TIMEOUT = Duration.ofSeconds(5);

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
            Thread.sleep(500); // accepted and counted by the server
            assertAllOpen(held, "before the extra connection");
            try (Socket extra = new Socket(api.getHost(), api.getPort())) {
                // well under the idle timeout: a close by then is the limit's, not the idle timer's
                extra.setSoTimeout((int) EXTRA_READ_TIMEOUT.toMillis());
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
            assertAllOpen(held, "after the extra connection was refused"); // the limit closed the newcomer, not them
        } finally {
            for (Socket socket : held) {
                socket.close();
            }
        }
        // The slow clients gone, the gateway serves new connections again (the count drops as they close).
        Eventually.await(Duration.ofSeconds(10), "the gateway serves again",
                () -> given().get("/capabilities").then().extract().statusCode() == 200);
    }

    /** Each held connection is still open: a read waits (times out) instead of seeing the server's close. */
    private static void assertAllOpen(List<Socket> held, String when) throws Exception {
        for (int i = 0; i < held.size(); i++) {
            Socket socket = held.get(i);
            socket.setSoTimeout(20);
            try {
                int read = socket.getInputStream().read();
                throw new AssertionError("held connection " + i + " of " + held.size() + " was "
                        + (read == -1 ? "closed" : "answered") + " " + when);
            } catch (SocketTimeoutException stillOpen) {
                // what a connection half-way through its headers should do
            }
        }
    }

}
