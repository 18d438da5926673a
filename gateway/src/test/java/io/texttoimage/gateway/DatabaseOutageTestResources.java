package io.texttoimage.gateway;

import io.texttoimage.broker.testing.CuttableProxy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;

/**
 * {@link GatewayTestResources} with the gateway's PostgreSQL connections (application and Flyway) relayed through a
 * {@link CuttableProxy}, so that a test can take the database away from the gateway and give it back.
 */
public class DatabaseOutageTestResources extends GatewayTestResources {
    static CuttableProxy database;

    @Override
    public Map<String, String> start() {
        Map<String, String> config = new HashMap<>(super.start());
        try {
            database = new CuttableProxy(PG_HOST, 5432);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String through = "127.0.0.1:" + database.port() + "/";
        config.replaceAll((key, value) -> key.startsWith("quarkus.datasource.")
                ? value.replace(PG_HOST + ":5432/", through) : value);
        return config;
    }

    @Override
    public void stop() {
        try {
            database.close();
        } catch (IOException ignored) {
            // already cut
        }
        super.stop();
    }
}
