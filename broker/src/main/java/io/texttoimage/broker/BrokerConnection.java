package io.texttoimage.broker;

import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeoutException;

/**
 * One AMQP connection for a whole process, opened by {@link #start} (or on first use). Automatic recovery reopens it
 * after a broker restart or a network failure, with its channels, consumers and everything declared on it.
 */
public final class BrokerConnection implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(BrokerConnection.class.getName());
    private static final int CLOSE_TIMEOUT_MILLIS = 5_000;
    /** The pause after the first failed try while waiting for the broker; it doubles after each further one. */
    static final Duration FIRST_RETRY = Duration.ofSeconds(1);
    /** The longest pause: a broker that comes back is found within this, and a down one costs a try per 10 s. */
    static final Duration MAX_RETRY = Duration.ofSeconds(10);

    /** What a service declares and consumes once connected (automatic recovery repeats it after an outage). */
    @FunctionalInterface
    public interface Setup {
        void run(Connection connection) throws IOException;
    }

    private final BrokerSettings settings;
    private final String connectionName;
    private volatile Connection connection;
    /** Start-up is waiting for the broker: only its own thread connects meanwhile. */
    private volatile boolean waiting;
    /** Connected, and start-up has not finished on the connection yet. */
    private volatile boolean settingUp;
    private volatile boolean closed;

    /** @param connectionName shown by the broker next to the connection (the service's name) */
    public BrokerConnection(BrokerSettings settings, String connectionName) {
        this.settings = settings;
        this.connectionName = connectionName;
    }

    public BrokerSettings settings() {
        return settings;
    }

    /**
     * Connects and runs the service's setup on the connection: now when the broker is there; otherwise a daemon
     * thread keeps trying with a backoff ({@link #FIRST_RETRY}, doubling, at most {@link #MAX_RETRY}), so that a
     * service can start before its broker. Meanwhile {@link #isOpen()} (readiness) is false. One line is logged when
     * the waiting starts and one when it ends, whatever the number of tries.
     *
     * @throws IOException when the setup fails on a broker that is there (it refuses a declaration, say): the service
     *                     does not start, as an operator must act first
     */
    public void start(Setup setup) throws IOException {
        Connection opened;
        try {
            opened = get();
        } catch (IOException unreachable) {
            waitInBackground(setup, unreachable);
            return;
        }
        setUp(opened, setup);
    }

    /**
     * The connection, opened now if this is the first call.
     *
     * @throws IOException when the broker cannot be reached, at once while {@link #start} is waiting for it
     */
    public Connection get() throws IOException {
        Connection current = connection;
        if (current != null) {
            return current;
        }
        if (waiting) {
            throw new IOException("waiting for RabbitMQ at " + settings.address());
        }
        current = open();
        LOG.log(System.Logger.Level.INFO, "Connected to RabbitMQ at {0}", settings.address());
        return current;
    }

    /** Opened, set up and not lost (for readiness); false while waiting for the broker or reconnecting. */
    public boolean isOpen() {
        Connection current = connection;
        return current != null && current.isOpen() && !settingUp;
    }

    @Override
    public void close() {
        closed = true;
        Connection current = connection;
        if (current != null && current.isOpen()) {
            try {
                current.close(CLOSE_TIMEOUT_MILLIS);
            } catch (IOException | RuntimeException e) {
                LOG.log(System.Logger.Level.DEBUG, "Closing the RabbitMQ connection: {0}", e.getMessage());
            }
        }
    }

    private synchronized Connection open() throws IOException {
        if (connection == null) {
            ConnectionFactory factory = settings.connectionFactory();
            factory.setAutomaticRecoveryEnabled(true);
            factory.setTopologyRecoveryEnabled(true);
            try {
                connection = factory.newConnection(connectionName);
            } catch (TimeoutException e) {
                throw new IOException("Timed out connecting to RabbitMQ at " + settings.address(), e);
            }
        }
        return connection;
    }

    private void setUp(Connection opened, Setup setup) throws IOException {
        settingUp = true;
        try {
            setup.run(opened);
        } finally {
            settingUp = false;
        }
    }

    private void waitInBackground(Setup setup, IOException unreachable) {
        waiting = true;
        LOG.log(System.Logger.Level.WARNING, "RabbitMQ at {0} cannot be reached ({1}); {2} waits for it, trying "
                + "again every {3} to {4} s", settings.address(), unreachable.getMessage(), connectionName,
                FIRST_RETRY.toSeconds(), MAX_RETRY.toSeconds());
        long waitingSince = System.nanoTime();
        Thread.ofPlatform().name(connectionName + "-connect").daemon().start(() -> {
            Duration pause = FIRST_RETRY;
            while (!closed && !connectAndSetUp(setup)) {
                if (!sleep(pause)) {
                    return;
                }
                pause = pause.multipliedBy(2).compareTo(MAX_RETRY) > 0 ? MAX_RETRY : pause.multipliedBy(2);
            }
            if (!closed && connection != null) {
                LOG.log(System.Logger.Level.INFO, "Connected to RabbitMQ at {0} after waiting {1} s",
                        settings.address(), Duration.ofNanos(System.nanoTime() - waitingSince).toSeconds());
            }
        });
    }

    /**
     * One try while waiting; true when it is over (set up, closed, or refused for good). A setup that fails on the
     * way (the broker went away again) leaves no connection behind, so the next try starts afresh.
     */
    private boolean connectAndSetUp(Setup setup) {
        Connection opened;
        try {
            opened = open();
        } catch (IOException stillUnreachable) {
            return false;
        }
        if (closed) {
            close(); // closed while this try was under way
            return true;
        }
        try {
            setUp(opened, setup);
            waiting = false;
            return true;
        } catch (IOException | RuntimeException e) {
            connection = null;
            opened.abort(CLOSE_TIMEOUT_MILLIS);
            if (e instanceof RefusedDeclarationException refused) {
                LOG.log(System.Logger.Level.ERROR, "{0} gives up on RabbitMQ at {1}, which refuses its declarations:"
                        + " {2}", connectionName, settings.address(), refused.getMessage());
                return true;
            }
            LOG.log(System.Logger.Level.DEBUG, "Setting up on RabbitMQ at {0} failed ({1}); trying again",
                    settings.address(), e.getMessage());
            return false;
        }
    }

    /** False when interrupted: the process is going away. */
    private static boolean sleep(Duration pause) {
        try {
            Thread.sleep(pause);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
