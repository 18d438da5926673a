package io.texttoimage.broker;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * What the AMQPS settings do on the wire: the connection factory they build runs a real TLS handshake against a
 * local TLS endpoint that presents a certificate for {@code localhost}. The endpoint stops after the handshake (it
 * is not a broker), so every connection attempt fails afterwards; what is checked is whether the handshake passed.
 */
class AmqpsHandshakeTest {
    private static final String HANDSHAKE_OK = "handshake completed";

    @TempDir
    static Path dir;
    private static TlsFixture tls;
    private static SSLServerSocket server;
    /** The server side's outcome of each handshake: {@link #HANDSHAKE_OK} or the exception's text. */
    private static final BlockingQueue<String> handshakes = new LinkedBlockingQueue<>();

    @BeforeAll
    static void startTlsEndpoint() throws Exception {
        tls = TlsFixture.create(dir);
        KeyStore keys = KeyStore.getInstance(tls.serverKeyStore().toFile(),
                TlsFixture.SERVER_KEY_STORE_PASSWORD.toCharArray());
        KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keyManagers.init(keys, TlsFixture.SERVER_KEY_STORE_PASSWORD.toCharArray());
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keyManagers.getKeyManagers(), null, null);
        server = (SSLServerSocket) context.getServerSocketFactory().createServerSocket(0, 10,
                InetAddress.getLoopbackAddress());
        Thread.ofPlatform().daemon().name("tls-endpoint").start(AmqpsHandshakeTest::acceptHandshakes);
    }

    private static void acceptHandshakes() {
        while (!server.isClosed()) {
            try (SSLSocket socket = (SSLSocket) server.accept()) {
                try {
                    socket.startHandshake();
                    handshakes.add(HANDSHAKE_OK);
                } catch (IOException e) {
                    handshakes.add(String.valueOf(e));
                }
            } catch (IOException closed) {
                return;
            }
        }
    }

    @AfterAll
    static void stopTlsEndpoint() throws IOException {
        server.close();
    }

    @Test
    void aTrustedCertificateForTheHostConnectedToIsAccepted() throws Exception {
        assertEquals(HANDSHAKE_OK, handshakeWith("localhost", true, true));
    }

    @Test
    void aTrustedCertificateForAnotherHostIsRefusedWhileHostnamesAreVerified() throws Exception {
        // The certificate names localhost; 127.0.0.1 is the same socket but not the name the certificate vouches for.
        assertRefusedByTheClient(handshakeWith("127.0.0.1", true, true));
        assertEquals(HANDSHAKE_OK, handshakeWith("127.0.0.1", true, false));
    }

    @Test
    void anUntrustedCertificateIsRefusedEvenWithoutHostnameVerification() throws Exception {
        assertRefusedByTheClient(handshakeWith("localhost", false, false)); // the JDK's CAs did not sign it
    }

    @Test
    void plainAmqpDoesNotSpeakTls() throws Exception {
        BrokerSettings plain = BrokerSettings.plain("localhost", server.getLocalPort(), "guest", "guest");
        assertThrows(Exception.class, () -> plain.connectionFactory().newConnection().close());
        String outcome = handshakes.poll(10, TimeUnit.SECONDS);
        assertNotNull(outcome);
        assertRefused(outcome);
    }

    /** Connects with the settings that the keys describe; returns the server's view of the handshake. */
    private static String handshakeWith(String host, boolean withTrustStore, boolean verifyHostname)
            throws Exception {
        Map<String, String> config = new HashMap<>(Map.of(BrokerSettings.HOST, host,
                BrokerSettings.PORT, Integer.toString(server.getLocalPort()), BrokerSettings.SSL, "true",
                BrokerSettings.SSL_VERIFY_HOSTNAME, Boolean.toString(verifyHostname)));
        if (withTrustStore) {
            config.put(BrokerSettings.TRUST_STORE_PATH, tls.trustStore().toString());
            config.put(BrokerSettings.TRUST_STORE_PASSWORD, TlsFixture.TRUST_STORE_PASSWORD);
        }
        BrokerSettings settings = BrokerSettings.read(key -> Optional.ofNullable(config.get(key)));
        assertThrows(Exception.class, () -> settings.connectionFactory().newConnection().close(),
                "the endpoint is not a broker: no connection can come out of it");
        String outcome = handshakes.poll(10, TimeUnit.SECONDS);
        assertNotNull(outcome, "the TLS endpoint saw no connection");
        return outcome;
    }

    /** The client gave up on the certificate, so the server sees the handshake fail. */
    private static void assertRefusedByTheClient(String outcome) {
        assertRefused(outcome);
    }

    private static void assertRefused(String outcome) {
        assertNotEquals(HANDSHAKE_OK, outcome, "the handshake should have failed");
    }
}
