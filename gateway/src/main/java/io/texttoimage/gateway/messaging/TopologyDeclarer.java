package io.texttoimage.gateway.messaging;

import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import io.quarkus.runtime.StartupEvent;
import io.texttoimage.gateway.config.BrokerConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.annotation.Priority;
import org.jboss.logging.Logger;

/**
 * Declares what the gateway publishes to at start: the durable work queue {@code <prefix>.generation-requests}
 * bound to its topic exchange, and the control fanout exchange. Consumers' queues are declared by their consumers,
 * but the work queue must exist before the first generator starts, or jobs submitted until then would be
 * unroutable. The declarations are the same as the generators' (durable, no arguments, binding {@code #}), so
 * whoever comes first wins and nobody conflicts.
 */
@ApplicationScoped
public class TopologyDeclarer {
    private static final Logger LOG = Logger.getLogger(TopologyDeclarer.class);

    /** Before the publisher starts, so its first message finds the exchanges. */
    void declareOnStart(@Observes @Priority(1) StartupEvent event, MessagingNames names, BrokerConfig broker) {
        String requests = names.generationRequests();
        String control = names.control();
        try (Connection connection = broker.connectionFactory().newConnection("gateway-topology");
             Channel channel = connection.createChannel()) {
            channel.exchangeDeclare(requests, BuiltinExchangeType.TOPIC, true);
            channel.queueDeclare(requests, true, false, false, null);
            channel.queueBind(requests, requests, "#");
            channel.exchangeDeclare(control, BuiltinExchangeType.FANOUT, true);
            LOG.infof("Work queue %s and control exchange %s are declared", requests, control);
        } catch (Exception e) {
            // The broker may be briefly unavailable; readiness reports it, and generators declare the same names.
            LOG.errorf(e, "Could not declare work queue %s", requests);
        }
    }
}
