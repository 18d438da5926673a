package io.texttoimage.generator.service;

import io.texttoimage.broker.BrokerSettings;
import io.texttoimage.broker.testing.CuttableProxy;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

/**
 * {@link GeneratorTestResource} with the worker's broker behind a relay that refuses connections until the test
 * {@link CuttableProxy#restore() restores} it: the worker starts while RabbitMQ cannot be reached.
 */
public class BrokerLaterTestResource extends GeneratorTestResource {
    static CuttableProxy link;

    @Override
    public Map<String, String> start() {
        link = CuttableProxy.toUnreachableTestBroker();
        Map<String, String> config = new HashMap<>(super.start());
        config.put(BrokerSettings.PORT, String.valueOf(link.port()));
        return config;
    }

    @Override
    public void stop() {
        super.stop();
        try {
            link.close();
        } catch (IOException e) {
            System.err.println("Could not close the relay: " + e);
        }
    }
}
