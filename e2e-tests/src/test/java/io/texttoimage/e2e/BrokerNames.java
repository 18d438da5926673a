package io.texttoimage.e2e;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.texttoimage.contracts.Topology;
import io.texttoimage.localstack.infra.Endpoints;

import java.util.List;

/** The durable queues and exchanges a run declares under its prefix; they would stay on a shared broker forever. */
public final class BrokerNames {

    private BrokerNames() {
    }

    public static ConnectionFactory connectionFactory(Endpoints.Amqp amqp) {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setHost(amqp.host());
        factory.setPort(amqp.port());
        factory.setUsername(amqp.user());
        factory.setPassword(amqp.password());
        return factory;
    }

    /** Deletes the prefix's durable queues and exchanges; names this version of the services did not declare are skipped. */
    public static void deleteDurable(Endpoints.Amqp amqp, String prefix) throws Exception {
        try (Connection connection = connectionFactory(amqp).newConnection()) {
            for (String queue : List.of(Topology.GENERATION_REQUESTS, Topology.IMAGE_STORE, Topology.JOB_EVENTS_PERSIST_QUEUE)) {
                try (Channel channel = connection.createChannel()) {
                    channel.queueDelete(Topology.name(prefix, queue));
                } catch (Exception ignored) {
                    // not declared by this version of the services
                }
            }
            for (String exchange : List.of(Topology.GENERATION_REQUESTS, Topology.IMAGE_STORE, Topology.IMAGE_STORED,
                    Topology.JOB_EVENTS, Topology.CONTROL)) {
                try (Channel channel = connection.createChannel()) {
                    channel.exchangeDelete(Topology.name(prefix, exchange));
                } catch (Exception ignored) {
                    // not declared by this version of the services
                }
            }
        }
    }
}
