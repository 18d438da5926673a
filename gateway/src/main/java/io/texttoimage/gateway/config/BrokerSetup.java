package io.texttoimage.gateway.config;

import io.texttoimage.broker.BrokerSettings;
import io.texttoimage.broker.Topology;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.Config;

/**
 * Where RabbitMQ is ({@code rabbitmq-*}, AMQPS included) and the broker names of this deployment, read once by the
 * broker module for all of the gateway's connections: the publisher and both event consumers.
 */
@ApplicationScoped
public class BrokerSetup {

    @Produces
    @Singleton
    BrokerSettings settings(Config config) {
        return BrokerSettings.read(key -> config.getOptionalValue(key, String.class));
    }

    @Produces
    @Singleton
    Topology topology(Config config) {
        return Topology.read(key -> config.getOptionalValue(key, String.class));
    }
}
