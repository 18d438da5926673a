package io.texttoimage.generator.service;

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

/** The worker's one connection (events, images, jobs and cancels share it) and its broker names. */
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

    /** After the worker has stopped taking jobs (priority 1): a job still unacknowledged goes back to the queue. */
    void close(@Observes @Priority(100) ShutdownEvent event, BrokerConnection connection) {
        connection.close();
    }
}
