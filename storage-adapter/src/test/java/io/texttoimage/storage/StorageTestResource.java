package io.texttoimage.storage;

import com.rabbitmq.client.Connection;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.texttoimage.broker.BrokerSettings;
import io.texttoimage.broker.Role;
import io.texttoimage.broker.Topology;
import io.texttoimage.broker.TopologyDeclarer;
import io.texttoimage.broker.testing.CuttableProxy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Starts S3Proxy for the application under test and gives the run its own RabbitMQ prefix, so tests running at the
 * same time on the shared broker never see each other's messages. The public endpoint deliberately differs from the
 * internal one (localhost vs 127.0.0.1, same server) so tests can tell which host a signed URL carries. The internal
 * endpoint, which the adapter writes through, is a {@link CuttableProxy} in front of the server, so a test can take S3
 * away from the adapter and give it back on the same port ({@code S3OutageTest}). What the adapter declared under the
 * prefix is deleted when the tests end.
 */
public class StorageTestResource implements QuarkusTestResourceLifecycleManager {

    static S3ProxyServer s3;
    /** The adapter's way to S3 (its internal endpoint): cut it for an outage. */
    static CuttableProxy s3Link;
    static Topology topology;
    static final String BUCKET = "test-images";
    /** What the test's "gateway" sends; the second accepted one stands for the old token during a rotation. */
    static final String GATEWAY_TOKEN = "test-gateway-token-" + UUID.randomUUID();
    static final String OLD_GATEWAY_TOKEN = "old-gateway-token-" + UUID.randomUUID();

    @Override
    public Map<String, String> start() {
        s3 = S3ProxyServer.start();
        try {
            s3Link = new CuttableProxy("127.0.0.1", s3.port());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        topology = new Topology("t2i-test-" + UUID.randomUUID().toString().substring(0, 8));
        return Map.of(
                "t2i.storage.gateway-tokens", GATEWAY_TOKEN + "," + OLD_GATEWAY_TOKEN,
                Topology.PREFIX_KEY, topology.prefix(),
                "t2i.storage.endpoint", "http://127.0.0.1:" + s3Link.port(),
                "t2i.storage.public-endpoint", publicEndpoint(),
                "t2i.storage.access-key", s3.accessKey(),
                "t2i.storage.secret-key", s3.secretKey(),
                "t2i.storage.bucket", BUCKET,
                "t2i.storage.max-url-expiry", "P1D",
                // One consumer (prefetch 1) takes the queue in order, so a test can tell that a message was not
                // requeued: it would come back before any message published after it (ImageStoreConsumerTest).
                "t2i.storage.consumers", "1");
    }

    static String publicEndpoint() {
        return "http://localhost:" + s3.port();
    }

    @Override
    public void stop() {
        if (s3Link != null) {
            try {
                s3Link.close();
            } catch (IOException e) {
                System.err.println("Could not close the S3 link: " + e);
            }
        }
        if (s3 != null) {
            s3.close();
        }
        try (Connection connection = BrokerSettings.plain("127.0.0.1", 5672, "guest", "guest").connectionFactory()
                .newConnection("storage-adapter-test-cleanup")) {
            TopologyDeclarer.delete(connection, List.of(topology.startupOf(Role.STORAGE_ADAPTER)));
        } catch (Exception e) {
            System.err.println("Could not delete the test broker names of prefix " + topology.prefix() + ": " + e);
        }
    }
}
