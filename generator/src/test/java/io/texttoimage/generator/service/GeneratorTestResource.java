package io.texttoimage.generator.service;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.util.Map;
import java.util.UUID;

/**
 * The worker under test runs the tiny reference model on CPU against the real RabbitMQ, under a random prefix so that
 * concurrent test runs on the shared broker never exchange messages.
 */
public class GeneratorTestResource implements QuarkusTestResourceLifecycleManager {

    static String prefix;

    @Override
    public Map<String, String> start() {
        prefix = "t2i-test-" + UUID.randomUUID().toString().substring(0, 8);
        return Map.of(
                "t2i.messaging.prefix", prefix,
                "t2i.generator.model", "../testdata/sd-reference/model",
                "t2i.generator.worker-id", "test-worker",
                "t2i.generator.store-timeout", "PT20S",
                "t2i.generator.progress-interval", "PT0S");
    }

    @Override
    public void stop() {
    }
}
