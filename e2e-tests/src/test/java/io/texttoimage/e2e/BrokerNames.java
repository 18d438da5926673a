package io.texttoimage.e2e;

import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.texttoimage.broker.BrokerSettings;
import io.texttoimage.broker.Role;
import io.texttoimage.broker.Topology;
import io.texttoimage.broker.TopologyDeclarer;
import io.texttoimage.localstack.infra.Endpoints;

import java.util.stream.Stream;

/** The broker the run uses, and the durable queues and exchanges it declares: they would stay on a shared broker. */
public final class BrokerNames {

    private BrokerNames() {
    }

    public static ConnectionFactory connectionFactory(Endpoints.Amqp amqp) {
        return BrokerSettings.plain(amqp.host(), amqp.port(), amqp.user(), amqp.password()).connectionFactory();
    }

    /** Deletes what the three services declare under the prefix (each role's start-up declaration). */
    public static void deleteDurable(Endpoints.Amqp amqp, String prefix) throws Exception {
        Topology topology = new Topology(prefix);
        try (Connection connection = connectionFactory(amqp).newConnection("e2e-cleanup")) {
            TopologyDeclarer.delete(connection, Stream.of(Role.values()).map(topology::startupOf).toList());
        }
    }
}
