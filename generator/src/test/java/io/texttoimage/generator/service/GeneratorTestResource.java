package io.texttoimage.generator.service;

import com.rabbitmq.client.Connection;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.texttoimage.broker.BrokerSettings;
import io.texttoimage.broker.Role;
import io.texttoimage.broker.Topology;
import io.texttoimage.broker.TopologyDeclarer;

import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The worker under test runs the tiny reference model on CPU against the real RabbitMQ, under a random prefix so that
 * concurrent test runs on the shared broker never exchange messages. What the worker declared under the prefix is
 * deleted when the tests end.
 */
public class GeneratorTestResource implements QuarkusTestResourceLifecycleManager {
    static final BrokerSettings BROKER = BrokerSettings.plain("127.0.0.1", 5672, "guest", "guest");

    static final int PREVIEW_EVERY_STEPS = 2;
    static final int PREVIEW_BYTES_PER_SECOND = 600;

    static Topology topology;

    @Override
    public Map<String, String> start() {
        topology = new Topology("t2i-test-" + UUID.randomUUID().toString().substring(0, 8));
        return Map.of(
                Topology.PREFIX_KEY, topology.prefix(),
                "t2i.generator.model", "../testdata/sd-reference/model",
                // the optimised graphs go to the build folder, not to the user's Hugging Face cache
                "t2i.generator.ort.graph-cache.dir", "target/ort-graph-cache",
                "t2i.generator.worker-id", "test-worker",
                "t2i.generator.store-timeout", "PT20S",
                "t2i.generator.progress-interval", "PT0S",
                "t2i.generator.heartbeat-interval", "PT0.2S",
                "t2i.generator.previews.every-steps", String.valueOf(PREVIEW_EVERY_STEPS),
                // about two 8x8 previews of the tiny model per second: low enough that the bound skips some
                "t2i.generator.previews.max-bytes-per-second", String.valueOf(PREVIEW_BYTES_PER_SECOND));
    }

    @Override
    public void stop() {
        try (Connection connection = BROKER.connectionFactory().newConnection("generator-test-cleanup")) {
            TopologyDeclarer.delete(connection, List.of(topology.startupOf(Role.GENERATOR)));
        } catch (Exception e) {
            System.err.println("Could not delete the test broker names of prefix " + topology.prefix() + ": " + e);
        }
    }
}
