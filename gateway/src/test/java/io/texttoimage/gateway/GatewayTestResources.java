package io.texttoimage.gateway;

import com.rabbitmq.client.Connection;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.texttoimage.broker.BrokerSettings;
import io.texttoimage.broker.Role;
import io.texttoimage.broker.Topology;
import io.texttoimage.broker.TopologyDeclarer;

import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Real servers for the gateway tests: the machine's PostgreSQL (a database of this run's own, created here and
 * dropped when the tests end) and RabbitMQ under a random prefix, so concurrent test runs never share a queue or
 * a table. The broker names are deleted again when the tests end.
 */
public class GatewayTestResources implements QuarkusTestResourceLifecycleManager {
    static final String PG_HOST = System.getProperty("t2i.test.pg-host", "127.0.0.1");
    private static final String RABBIT_HOST = System.getProperty("t2i.test.rabbitmq-host", "127.0.0.1");
    static final BrokerSettings BROKER = BrokerSettings.plain(RABBIT_HOST, 5672, "guest", "guest");
    static final String WEBHOOK_SECRET = "whsec_AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=";
    /** A loopback address of its own (Linux answers on all of 127.0.0.0/8), allow-listed for the test receivers. */
    static final String WEBHOOK_RECEIVER_HOST = "127.0.0.7";

    private String prefix;
    private String database;

    @Override
    public Map<String, String> start() {
        String run = UUID.randomUUID().toString().substring(0, 8);
        prefix = "t2i-gwtest-" + run;
        database = "t2i_gateway_test_" + run;
        administer("CREATE DATABASE " + database);
        return Map.ofEntries(
                Map.entry("quarkus.datasource.reactive.url", "postgresql://" + PG_HOST + ":5432/" + database),
                Map.entry("quarkus.datasource.jdbc.url", "jdbc:postgresql://" + PG_HOST + ":5432/" + database),
                Map.entry("rabbitmq-host", RABBIT_HOST),
                Map.entry(Topology.PREFIX_KEY, prefix),
                Map.entry("t2i.gateway.progress-flush-interval", "PT0.2S"),
                Map.entry("t2i.gateway.sse-heartbeat", "PT1S"),
                Map.entry("t2i.gateway.sse-recheck-interval", "PT1S"),
                // Nothing listens on port 1: the URL endpoint's "adapter unreachable" path is exercised for real.
                Map.entry("t2i.storage-adapter.url", "http://127.0.0.1:1"),
                // Webhooks on, fast: the tests' receivers listen on 127.0.0.7, the only loopback address allowed
                // (127.0.0.1, localhost and [::1] stay refused, which WebhooksTest checks).
                Map.entry("t2i.gateway.webhooks.secret", WEBHOOK_SECRET),
                Map.entry("t2i.gateway.webhooks.allowed-hosts", WEBHOOK_RECEIVER_HOST),
                Map.entry("t2i.gateway.webhooks.poll-interval", "PT0.1S"),
                Map.entry("t2i.gateway.webhooks.retry-initial", "PT0.2S"),
                Map.entry("t2i.gateway.webhooks.retry-max", "PT1S"),
                Map.entry("t2i.gateway.webhooks.give-up-after", "PT3S"),
                Map.entry("t2i.gateway.webhooks.progress-interval", "PT1S"),
                Map.entry("t2i.gateway.webhooks.response-timeout", "PT2S"));
    }

    @Override
    public void stop() {
        try (Connection connection = BROKER.connectionFactory().newConnection("gateway-test-cleanup")) {
            TopologyDeclarer.delete(connection, List.of(new Topology(prefix).startupOf(Role.GATEWAY)));
        } catch (Exception e) {
            System.err.println("Could not delete test broker names of prefix " + prefix + ": " + e);
        }
        try {
            administer("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
        } catch (IllegalStateException e) {
            System.err.println("Could not drop test database " + database + ": " + e.getCause());
        }
    }

    private static void administer(String sql) {
        try (var connection = DriverManager.getConnection("jdbc:postgresql://" + PG_HOST + ":5432/postgres",
                "postgres", "");
             Statement statement = connection.createStatement()) {
            statement.execute(sql);
        } catch (Exception e) {
            throw new IllegalStateException("PostgreSQL on " + PG_HOST + ":5432 is needed for the gateway tests", e);
        }
    }
}
