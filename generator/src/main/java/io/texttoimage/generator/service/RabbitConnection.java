package io.texttoimage.generator.service;

import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.util.concurrent.TimeoutException;

/**
 * One AMQP connection per process, opened lazily with the connector's standard keys ({@code rabbitmq-host}, ...).
 * Automatic recovery re-opens channels and consumers after a broker restart.
 */
@ApplicationScoped
public class RabbitConnection {
    private static final Logger LOG = Logger.getLogger(RabbitConnection.class);

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
    @ConfigProperty(name = "quarkus.application.name", defaultValue = "generator")
    String applicationName;

    private volatile Connection connection;

    public synchronized Connection get() throws IOException {
        if (connection == null) {
            ConnectionFactory factory = new ConnectionFactory();
            factory.setHost(host);
            factory.setPort(port);
            factory.setUsername(username);
            factory.setPassword(password);
            factory.setVirtualHost(virtualHost);
            factory.setAutomaticRecoveryEnabled(true);
            factory.setTopologyRecoveryEnabled(true);
            try {
                connection = factory.newConnection(applicationName);
            } catch (TimeoutException e) {
                throw new IOException("Timed out connecting to RabbitMQ at " + host + ":" + port, e);
            }
            LOG.infof("Connected to RabbitMQ at %s:%d", host, port);
        }
        return connection;
    }

    public boolean isOpen() {
        Connection current = connection;
        return current != null && current.isOpen();
    }

    void close(@Observes @Priority(100) ShutdownEvent event) {
        Connection current = connection;
        if (current != null && current.isOpen()) {
            try {
                current.close(5_000);
            } catch (IOException | RuntimeException e) {
                LOG.debugf("Closing the RabbitMQ connection: %s", e.getMessage());
            }
        }
    }
}
