package io.texttoimage.gateway.messaging;

import io.texttoimage.contracts.Topology;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/** Broker names of this deployment: {@code <t2i.messaging.prefix>.<suffix>} (see {@link Topology}). */
@ApplicationScoped
public class MessagingNames {
    private final String prefix;

    public MessagingNames(@ConfigProperty(name = "t2i.messaging.prefix", defaultValue = Topology.DEFAULT_PREFIX)
                          String prefix) {
        this.prefix = prefix;
    }

    public String prefix() {
        return prefix;
    }

    public String generationRequests() {
        return Topology.name(prefix, Topology.GENERATION_REQUESTS);
    }

    public String control() {
        return Topology.name(prefix, Topology.CONTROL);
    }

    public String jobEvents() {
        return Topology.name(prefix, Topology.JOB_EVENTS);
    }
}
