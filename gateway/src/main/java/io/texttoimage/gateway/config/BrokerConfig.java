package io.texttoimage.gateway.config;

import com.rabbitmq.client.ConnectionFactory;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Where RabbitMQ is, for the gateway's own connections (the publisher and the topology declaration). The keys are
 * the SmallRye RabbitMQ connector's global ones ({@code rabbitmq-host}, env {@code RABBITMQ_HOST}, ...), so the
 * consumers and the publisher are configured in one place.
 */
@ApplicationScoped
public class BrokerConfig {
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

    public String host() {
        return host;
    }

    public int port() {
        return port;
    }

    /** A factory for one more connection; the caller names it and decides about recovery. */
    public ConnectionFactory connectionFactory() {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setHost(host);
        factory.setPort(port);
        factory.setUsername(username);
        factory.setPassword(password);
        factory.setVirtualHost(virtualHost);
        factory.setConnectionTimeout(10_000);
        return factory;
    }
}
