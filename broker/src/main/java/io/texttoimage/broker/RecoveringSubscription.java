package io.texttoimage.broker;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;

import java.io.IOException;

/**
 * A consumer on a connection of its own that keeps consuming across broker restarts: the first subscription is
 * retried every 2 s until the broker is there (so a service can start before its broker), and after that the
 * client's automatic recovery re-declares what the subscriber declared and re-registers its consumer. A declaration
 * the broker refuses ({@link RefusedDeclarationException}: an operator must act first) fails the start instead.
 */
public final class RecoveringSubscription implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(RecoveringSubscription.class.getName());
    private static final long RETRY_MILLIS = 2_000;
    private static final int CLOSE_TIMEOUT_MILLIS = 2_000;

    /** Declares what the consumer needs and starts it (basicConsume) on the channel. */
    @FunctionalInterface
    public interface Subscriber {
        void subscribe(Channel channel) throws IOException;
    }

    private final BrokerSettings settings;
    private final String connectionName;
    private final Subscriber subscriber;
    private volatile Connection connection;
    private volatile boolean stopping;
    private volatile RefusedDeclarationException lastRefusal;

    public RecoveringSubscription(BrokerSettings settings, String connectionName, Subscriber subscriber) {
        this.settings = settings;
        this.connectionName = connectionName;
        this.subscriber = subscriber;
    }

    /**
     * Subscribes now if it can; otherwise a daemon thread keeps trying. Never throws for an absent broker.
     *
     * @throws IllegalStateException with the broker's refusal, when it refuses what the subscriber declares
     */
    public void start() {
        if (subscribe()) {
            return;
        }
        if (lastRefusal != null) {
            throw new IllegalStateException(lastRefusal.getMessage(), lastRefusal);
        }
        Thread.ofPlatform().name(connectionName + "-connect").daemon().start(() -> {
            while (!stopping && !subscribe()) {
                sleep();
            }
        });
    }

    /** Whether the connection is open now (for readiness). */
    public boolean isConnected() {
        Connection current = connection;
        return current != null && current.isOpen();
    }

    @Override
    public void close() {
        stopping = true;
        Connection current = connection;
        if (current != null) {
            try {
                current.close(CLOSE_TIMEOUT_MILLIS);
            } catch (Exception e) {
                LOG.log(System.Logger.Level.DEBUG, "Closing {0}: {1}", connectionName, e.getMessage());
            }
        }
    }

    private boolean subscribe() {
        Connection opened = null;
        try {
            ConnectionFactory factory = settings.connectionFactory();
            factory.setAutomaticRecoveryEnabled(true);
            factory.setTopologyRecoveryEnabled(true);
            opened = factory.newConnection(connectionName);
            subscriber.subscribe(opened.createChannel());
            connection = opened;
            if (stopping) {
                close(); // closed while this attempt was under way
            }
            return true;
        } catch (Exception e) {
            if (opened != null) {
                opened.abort(CLOSE_TIMEOUT_MILLIS); // subscribed halfway: leave no connection behind
            }
            if (e instanceof RefusedDeclarationException refused) {
                lastRefusal = refused;
                LOG.log(System.Logger.Level.ERROR, "{0}: {1}", connectionName, refused.getMessage());
                return false;
            }
            if (!stopping) {
                LOG.log(System.Logger.Level.WARNING, "{0} cannot subscribe on RabbitMQ at {1} ({2}); retrying every"
                        + " {3} s", connectionName, settings.address(), e.getMessage(), RETRY_MILLIS / 1000);
            }
            return false;
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(RETRY_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
