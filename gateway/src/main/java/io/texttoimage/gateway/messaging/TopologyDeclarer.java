package io.texttoimage.gateway.messaging;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.util.Map;

/**
 * Declares the durable work queue {@code <prefix>.generation-requests} and binds it to its exchange at
 * start. The connector only declares queues for consumers, and the consumers are the generators: without
 * this, jobs submitted before the first generator starts would be unroutable and silently dropped.
 * The declarations match the connector's defaults (durable topic exchange, durable queue, no arguments,
 * binding {@code #}) so that generators declaring the same names do not conflict.
 */
@ApplicationScoped
public class TopologyDeclarer {
    private static final Logger LOG = Logger.getLogger(TopologyDeclarer.class);

    @ConfigProperty(name = "rabbitmq-host", defaultValue = "localhost")
    String host;
    @ConfigProperty(name = "rabbitmq-port", defaultValue = "5672")
    int port;
    @ConfigProperty(name = "rabbitmq-username", defaultValue = "guest")
    String username;
    @ConfigProperty(name = "rabbitmq-password", defaultValue = "guest")
    String password;
    @ConfigProperty(name = "rabbitmq-virtual-host", defaultValue = "/")
    String virtualHost;

    void declareOnStart(@Observes StartupEvent event, MessagingNames names) {
        String name = names.generationRequests();
        ConnectionFactory factory = new ConnectionFactory();
        factory.setHost(host);
        factory.setPort(port);
        factory.setUsername(username);
        factory.setPassword(password);
        factory.setVirtualHost(virtualHost);
        factory.setConnectionTimeout(10_000);
        try (Connection connection = factory.newConnection("gateway-topology");
             Channel channel = connection.createChannel()) {
            channel.exchangeDeclare(name, "topic", true, false, Map.of());
            channel.queueDeclare(name, true, false, false, Map.of());
            channel.queueBind(name, name, "#");
            LOG.infof("Work queue %s is declared and bound", name);
        } catch (Exception e) {
            // The broker may be briefly unavailable; readiness reports it, and generators declare the same queue.
            LOG.errorf(e, "Could not declare work queue %s", name);
        }
    }
}
