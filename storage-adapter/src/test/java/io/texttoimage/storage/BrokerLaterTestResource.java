package io.texttoimage.storage;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.texttoimage.broker.BrokerSettings;
import io.texttoimage.broker.testing.CuttableProxy;

import java.io.IOException;
import java.util.Map;

/**
 * The adapter's broker behind a relay that refuses connections until the test {@link CuttableProxy#restore()
 * restores} it, on top of {@link StorageTestResource}: the adapter starts while RabbitMQ cannot be reached.
 */
public class BrokerLaterTestResource implements QuarkusTestResourceLifecycleManager {
    static CuttableProxy link;

    @Override
    public Map<String, String> start() {
        link = CuttableProxy.toUnreachableTestBroker();
        return Map.of(BrokerSettings.HOST, "127.0.0.1", BrokerSettings.PORT, String.valueOf(link.port()));
    }

    @Override
    public void stop() {
        try {
            link.close();
        } catch (IOException e) {
            System.err.println("Could not close the relay: " + e);
        }
    }
}
