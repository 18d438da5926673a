package io.texttoimage.broker;

import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;

import java.io.IOException;
import java.util.concurrent.TimeoutException;

/**
 * One AMQP connection for a whole process, opened on first use. Automatic recovery reopens it after a broker restart
 * or a network failure, with its channels, consumers and everything declared on it.
 */
public final class BrokerConnection implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(BrokerConnection.class.getName());
    private static final int CLOSE_TIMEOUT_MILLIS = 5_000;

    private final BrokerSettings settings;
    private final String connectionName;
    private volatile Connection connection;

    /** @param connectionName shown by the broker next to the connection (the service's name) */
    public BrokerConnection(BrokerSettings settings, String connectionName) {
        this.settings = settings;
        this.connectionName = connectionName;
    }

    public BrokerSettings settings() {
        return settings;
    }

    /** The connection, opened now if this is the first call. */
    public synchronized Connection get() throws IOException {
        if (connection == null) {
            ConnectionFactory factory = settings.connectionFactory();
            factory.setAutomaticRecoveryEnabled(true);
            factory.setTopologyRecoveryEnabled(true);
            try {
                connection = factory.newConnection(connectionName);
            } catch (TimeoutException e) {
                throw new IOException("Timed out connecting to RabbitMQ at " + settings.address(), e);
            }
            LOG.log(System.Logger.Level.INFO, "Connected to RabbitMQ at {0}", settings.address());
        }
        return connection;
    }

    /** Opened and not lost (for readiness); false while automatic recovery is still reconnecting. */
    public boolean isOpen() {
        Connection current = connection;
        return current != null && current.isOpen();
    }

    @Override
    public void close() {
        Connection current = connection;
        if (current != null && current.isOpen()) {
            try {
                current.close(CLOSE_TIMEOUT_MILLIS);
            } catch (IOException | RuntimeException e) {
                LOG.log(System.Logger.Level.DEBUG, "Closing the RabbitMQ connection: {0}", e.getMessage());
            }
        }
    }
}
