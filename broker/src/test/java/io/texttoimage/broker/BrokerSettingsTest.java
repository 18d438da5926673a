package io.texttoimage.broker;

import com.rabbitmq.client.ConnectionFactory;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reading the {@code rabbitmq-*} keys, with AMQPS off and on. */
class BrokerSettingsTest {

    static BrokerSettings read(Map<String, String> config) {
        return BrokerSettings.read(key -> Optional.ofNullable(config.get(key)));
    }

    @Test
    void nothingSetIsPlainAmqpAsGuestOnLocalhost() {
        BrokerSettings settings = read(Map.of());
        assertEquals(BrokerSettings.plain("localhost", 5672, "guest", "guest"), settings);
        ConnectionFactory factory = settings.connectionFactory();
        assertFalse(factory.isSSL());
        assertEquals("localhost", factory.getHost());
        assertEquals(5672, factory.getPort());
        assertEquals("/", factory.getVirtualHost());
        assertEquals("amqp://localhost:5672", settings.address());
        assertEquals(5, factory.getRequestedHeartbeat(), "a heartbeat that notices a cut link within seconds");
    }

    @Test
    void everyKeyIsRead() {
        BrokerSettings settings = read(Map.of(BrokerSettings.HOST, "rabbitmq.internal", BrokerSettings.PORT, "5673",
                BrokerSettings.USERNAME, "t2i", BrokerSettings.PASSWORD, "s3cret", BrokerSettings.VIRTUAL_HOST, "images",
                BrokerSettings.SSL, "false", BrokerSettings.REQUESTED_HEARTBEAT, "15"));
        ConnectionFactory factory = settings.connectionFactory();
        assertEquals("rabbitmq.internal", factory.getHost());
        assertEquals(5673, factory.getPort());
        assertEquals("t2i", factory.getUsername());
        assertEquals("s3cret", factory.getPassword());
        assertEquals("images", factory.getVirtualHost());
        assertFalse(factory.isSSL());
        assertEquals(15, factory.getRequestedHeartbeat());
    }

    @Test
    void blankValuesCountAsNotSet() {
        assertEquals(read(Map.of()), read(Map.of(BrokerSettings.HOST, " ", BrokerSettings.PORT, "",
                BrokerSettings.SSL, "")));
    }

    @Test
    void amqpsUsesTheAmqpsPortAndVerifiesHostnamesUnlessToldOtherwise() {
        BrokerSettings settings = read(Map.of(BrokerSettings.SSL, "true"));
        assertEquals(5671, settings.port());
        assertTrue(settings.tls().enabled());
        assertTrue(settings.tls().verifyHostname());
        assertEquals("amqps://localhost:5671", settings.address());
        ConnectionFactory factory = settings.connectionFactory();
        assertTrue(factory.isSSL());
        assertEquals(5671, factory.getPort());

        assertEquals(5672, read(Map.of(BrokerSettings.SSL, "TRUE", BrokerSettings.PORT, "5672")).port());
        assertFalse(read(Map.of(BrokerSettings.SSL, "true", BrokerSettings.SSL_VERIFY_HOSTNAME, "false")).tls()
                .verifyHostname());
    }

    @Test
    void theTrustStoreIsReadAndAWrongOneIsReportedWithItsKey() throws Exception {
        TlsFixture tls = TlsFixture.create(Files.createTempDirectory("broker-settings-test"));
        BrokerSettings trusted = read(Map.of(BrokerSettings.SSL, "true",
                BrokerSettings.TRUST_STORE_PATH, tls.trustStore().toString(),
                BrokerSettings.TRUST_STORE_PASSWORD, TlsFixture.TRUST_STORE_PASSWORD));
        assertEquals(Optional.of(tls.trustStore()), trusted.tls().trustStore());
        assertTrue(trusted.connectionFactory().isSSL());

        BrokerSettings wrongPassword = read(Map.of(BrokerSettings.SSL, "true",
                BrokerSettings.TRUST_STORE_PATH, tls.trustStore().toString(),
                BrokerSettings.TRUST_STORE_PASSWORD, "not-the-password"));
        IllegalStateException e = assertThrows(IllegalStateException.class, wrongPassword::connectionFactory);
        assertTrue(e.getMessage().startsWith("Cannot read the RabbitMQ trust store " + tls.trustStore()
                + " (rabbitmq-trust-store-path)"), e.getMessage());

        Path missing = tls.trustStore().resolveSibling("missing.p12");
        e = assertThrows(IllegalStateException.class, () -> read(Map.of(BrokerSettings.SSL, "true",
                BrokerSettings.TRUST_STORE_PATH, missing.toString())).connectionFactory());
        assertTrue(e.getMessage().startsWith("Cannot read the RabbitMQ trust store " + missing), e.getMessage());
    }

    @Test
    void valuesThatCannotBeRightAreRefusedWithOneSentenceNamingTheKey() {
        assertRefused(Map.of(BrokerSettings.PORT, "amqp"),
                "rabbitmq-port must be a port number (1 to 65535), not 'amqp'.");
        assertRefused(Map.of(BrokerSettings.PORT, "0"), "rabbitmq-port must be a port number (1 to 65535), not '0'.");
        assertRefused(Map.of(BrokerSettings.SSL, "yes"), "rabbitmq-ssl must be true or false, not 'yes'.");
        assertRefused(Map.of(BrokerSettings.SSL, "true", BrokerSettings.SSL_VERIFY_HOSTNAME, "off"),
                "rabbitmq-ssl-verify-hostname must be true or false, not 'off'.");
        assertRefused(Map.of(BrokerSettings.REQUESTED_HEARTBEAT, "0"),
                "rabbitmq-requested-heartbeat must be a whole number of seconds (1 to 65535), not '0'.");
        assertRefused(Map.of(BrokerSettings.REQUESTED_HEARTBEAT, "10s"),
                "rabbitmq-requested-heartbeat must be a whole number of seconds (1 to 65535), not '10s'.");
        // A trust store without TLS means the operator meant AMQPS and would silently get plain AMQP.
        assertRefused(Map.of(BrokerSettings.TRUST_STORE_PATH, "/etc/rabbitmq/ca.p12"),
                "rabbitmq-trust-store-path is set but rabbitmq-ssl is not true.");
        assertRefused(Map.of(BrokerSettings.SSL, "true", BrokerSettings.TRUST_STORE_PASSWORD, "x"),
                "rabbitmq-trust-store-password is set but rabbitmq-trust-store-path is not.");
    }

    @Test
    void thePasswordIsNeverPrinted() {
        BrokerSettings settings = read(Map.of(BrokerSettings.PASSWORD, "s3cret", BrokerSettings.SSL, "true",
                BrokerSettings.SSL_VERIFY_HOSTNAME, "false"));
        assertEquals("amqps://localhost:5671 as guest (virtual host /, TLS without hostname verification)",
                settings.toString());
    }

    private static void assertRefused(Map<String, String> config, String message) {
        assertEquals(message, assertThrows(IllegalArgumentException.class, () -> read(config)).getMessage());
    }
}
