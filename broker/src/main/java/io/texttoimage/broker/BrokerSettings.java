package io.texttoimage.broker;

import com.rabbitmq.client.ConnectionFactory;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;

/**
 * Where the broker is and how to log in: the one reading of the {@code rabbitmq-*} settings that every service
 * shares. The key names are the SmallRye RabbitMQ connector's global ones, which operators already know.
 *
 * @param port               5672 unless set, 5671 (the AMQPS port) when TLS is on
 * @param requestedHeartbeat the AMQP heartbeat timeout asked of the broker, in seconds (the broker may only lower it)
 */
public record BrokerSettings(String host, int port, String username, String password, String virtualHost, Tls tls,
                             int requestedHeartbeat) {
    public static final String HOST = "rabbitmq-host";
    public static final String PORT = "rabbitmq-port";
    public static final String USERNAME = "rabbitmq-username";
    public static final String PASSWORD = "rabbitmq-password";
    public static final String VIRTUAL_HOST = "rabbitmq-virtual-host";
    public static final String SSL = "rabbitmq-ssl";
    public static final String TRUST_STORE_PATH = "rabbitmq-trust-store-path";
    public static final String TRUST_STORE_PASSWORD = "rabbitmq-trust-store-password";
    public static final String SSL_VERIFY_HOSTNAME = "rabbitmq-ssl-verify-hostname";
    /** The connector's {@code requested-heartbeat} attribute (seconds), under the same {@code rabbitmq-} prefix. */
    public static final String REQUESTED_HEARTBEAT = "rabbitmq-requested-heartbeat";

    static final int AMQP_PORT = 5672;
    static final int AMQPS_PORT = 5671;
    /** A broker that does not answer within this fails the connection attempt (the client's default is 60 s). */
    private static final int CONNECTION_TIMEOUT_MILLIS = 10_000;
    /**
     * 5 s, not the client's 60: RabbitMQ closes a consumer's connection, and so requeues its unacknowledged job, only
     * once the client's heartbeats stop coming, and the client notices a silent broker the same way. With 60 s a cut
     * link (partition, no TCP reset) kept a job on an unreachable worker for minutes. With 5 s the client gives up
     * after about two timeouts (10 s) and RabbitMQ after two to three (10-15 s), inside a 20 s partition. RabbitMQ's
     * guide warns that values under 5 s cause false positives on busy hosts; a heartbeat frame is 8 bytes.
     */
    static final int DEFAULT_REQUESTED_HEARTBEAT_SECONDS = 5;
    /** AMQP carries the heartbeat as an unsigned short. */
    private static final int MAX_HEARTBEAT_SECONDS = 65_535;

    /**
     * AMQPS. Without a trust store the JDK's default trust anchors are used, as for any TLS client.
     *
     * @param verifyHostname whether the broker's certificate must name the host connected to (on by default: without
     *                       it any certificate from a trusted CA would do, for any host)
     */
    public record Tls(boolean enabled, Optional<Path> trustStore, Optional<String> trustStorePassword,
                      boolean verifyHostname) {
        public static final Tls OFF = new Tls(false, Optional.empty(), Optional.empty(), true);

        @Override
        public String toString() {
            return enabled ? "TLS" + trustStore.map(path -> " (trust store " + path + ")").orElse("")
                    + (verifyHostname ? "" : " without hostname verification") : "no TLS";
        }
    }

    /** A plain-AMQP broker with user and password on the default virtual host (tests, the local stack). */
    public static BrokerSettings plain(String host, int port, String username, String password) {
        return new BrokerSettings(host, port, username, password, "/", Tls.OFF, DEFAULT_REQUESTED_HEARTBEAT_SECONDS);
    }

    /** The same broker, with another heartbeat timeout (seconds). */
    public BrokerSettings withRequestedHeartbeat(int seconds) {
        return new BrokerSettings(host, port, username, password, virtualHost, tls, seconds);
    }

    /**
     * Reads the settings from a service's configuration.
     *
     * @param config the value of a key, empty when it is not set
     * @throws IllegalArgumentException with one sentence naming the key, for a value that cannot be right
     */
    public static BrokerSettings read(Function<String, Optional<String>> config) {
        Function<String, Optional<String>> set = key -> config.apply(key).map(String::strip).filter(v -> !v.isEmpty());
        Tls tls = readTls(set);
        int port = set.apply(PORT).map(value -> parsePort(value)).orElse(tls.enabled() ? AMQPS_PORT : AMQP_PORT);
        int heartbeat = set.apply(REQUESTED_HEARTBEAT).map(value -> parseHeartbeat(value))
                .orElse(DEFAULT_REQUESTED_HEARTBEAT_SECONDS);
        return new BrokerSettings(set.apply(HOST).orElse("localhost"), port, set.apply(USERNAME).orElse("guest"),
                set.apply(PASSWORD).orElse("guest"), set.apply(VIRTUAL_HOST).orElse("/"), tls, heartbeat);
    }

    private static Tls readTls(Function<String, Optional<String>> set) {
        boolean enabled = set.apply(SSL).map(value -> parseBoolean(SSL, value)).orElse(false);
        Optional<Path> trustStore = set.apply(TRUST_STORE_PATH).map(Path::of);
        Optional<String> trustStorePassword = set.apply(TRUST_STORE_PASSWORD);
        boolean verifyHostname = set.apply(SSL_VERIFY_HOSTNAME).map(v -> parseBoolean(SSL_VERIFY_HOSTNAME, v))
                .orElse(true);
        if (!enabled && trustStore.isPresent()) {
            throw new IllegalArgumentException(TRUST_STORE_PATH + " is set but " + SSL + " is not true.");
        }
        if (trustStore.isEmpty() && trustStorePassword.isPresent()) {
            throw new IllegalArgumentException(TRUST_STORE_PASSWORD + " is set but " + TRUST_STORE_PATH + " is not.");
        }
        return new Tls(enabled, trustStore, trustStorePassword, verifyHostname);
    }

    /**
     * A factory for one more connection, TLS included when configured; the caller names the connection and decides
     * about automatic recovery.
     *
     * @throws IllegalStateException when the trust store cannot be read
     */
    public ConnectionFactory connectionFactory() {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setHost(host);
        factory.setPort(port);
        factory.setUsername(username);
        factory.setPassword(password);
        factory.setVirtualHost(virtualHost);
        factory.setConnectionTimeout(CONNECTION_TIMEOUT_MILLIS);
        factory.setRequestedHeartbeat(requestedHeartbeat);
        if (tls.enabled()) {
            factory.useSslProtocol(sslContext());
            if (tls.verifyHostname()) {
                factory.enableHostnameVerification();
            }
        }
        return factory;
    }

    /** {@code amqp://host:port} or {@code amqps://host:port}, for log lines and errors. */
    public String address() {
        return (tls.enabled() ? "amqps://" : "amqp://") + host + ":" + port;
    }

    /** Never prints the password. */
    @Override
    public String toString() {
        return address() + " as " + username + " (virtual host " + virtualHost + ", " + tls + ")";
    }

    private SSLContext sslContext() {
        try {
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(tls.trustStore().map(this::loadTrustStore).orElse(null)); // null: the JDK's own trust anchors
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trust.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Cannot set up TLS for RabbitMQ: " + e.getMessage(), e);
        }
    }

    /** PKCS#12 or JKS: the JDK recognises the type from the file. */
    private KeyStore loadTrustStore(Path path) {
        char[] password = tls.trustStorePassword().map(String::toCharArray).orElse(null);
        try {
            return KeyStore.getInstance(path.toFile(), password);
        } catch (IOException | GeneralSecurityException | IllegalArgumentException e) {
            // IllegalArgumentException: the path is not a file
            throw new IllegalStateException("Cannot read the RabbitMQ trust store " + path + " (" + TRUST_STORE_PATH
                    + "): " + e.getMessage(), e);
        }
    }

    private static int parsePort(String value) {
        try {
            int port = Integer.parseInt(value);
            if (port >= 1 && port <= 65_535) {
                return port;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new IllegalArgumentException(PORT + " must be a port number (1 to 65535), not '" + value + "'.");
    }

    /** 0 (no heartbeats) is refused: a cut link would then hold a worker's job until TCP gives up, minutes later. */
    private static int parseHeartbeat(String value) {
        try {
            int seconds = Integer.parseInt(value);
            if (seconds >= 1 && seconds <= MAX_HEARTBEAT_SECONDS) {
                return seconds;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new IllegalArgumentException(REQUESTED_HEARTBEAT + " must be a whole number of seconds (1 to "
                + MAX_HEARTBEAT_SECONDS + "), not '" + value + "'.");
    }

    private static boolean parseBoolean(String key, String value) {
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException(key + " must be true or false, not '" + value + "'.");
        };
    }
}
