package io.texttoimage.storage;

import io.quarkus.runtime.ShutdownEvent;
import io.texttoimage.broker.BrokerConnection;
import io.texttoimage.broker.BrokerSettings;
import io.texttoimage.broker.Topology;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.Config;

/** The adapter's one connection and its broker names, both read from its configuration by the broker module. */
@ApplicationScoped
public class BrokerSetup {

    @Produces
    @Singleton
    Topology topology(Config config) {
        return Topology.read(key -> config.getOptionalValue(key, String.class));
    }

    @Produces
    @Singleton
    BrokerConnection connection(Config config) {
        BrokerSettings settings = BrokerSettings.read(key -> config.getOptionalValue(key, String.class));
        return new BrokerConnection(settings, config.getValue("quarkus.application.name", String.class));
    }

    /** After the consumers have stopped (priority 1): an unacknowledged message goes back to the queue. */
    void close(@Observes @Priority(100) ShutdownEvent event, BrokerConnection connection) {
        connection.close();
    }
}
