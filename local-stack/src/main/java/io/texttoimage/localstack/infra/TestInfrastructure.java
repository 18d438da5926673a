package io.texttoimage.localstack.infra;

import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.function.Consumer;

/**
 * The servers the module tests expect, on the ports they expect them: PostgreSQL on 127.0.0.1:5432 (trust
 * authentication, superuser {@code postgres}) and an AMQP 0-9-1 broker on 127.0.0.1:5672 (user guest/guest).
 * Each embedded server is started only if its port is not open yet, so a real PostgreSQL or RabbitMQ already
 * running is used as it is (and never touched). {@code bin/test} runs this (as {@code --infra-only}) on a
 * machine that has only a JDK. Closing stops what was started here, in reverse order, and nothing else.
 */
public final class TestInfrastructure implements AutoCloseable {
    public static final int POSTGRES_PORT = 5432;
    public static final int AMQP_PORT = 5672;

    private final Deque<AutoCloseable> started = new ArrayDeque<>();
    private final List<String> summary = new ArrayList<>();
    private boolean closed;

    private TestInfrastructure() {
    }

    /** Nothing started yet: {@link #start} starts the servers (a shutdown hook can hold it beforehand). */
    public static TestInfrastructure create() {
        return new TestInfrastructure();
    }

    /** @param dataDir everything embedded lives under it (postgres/, amqp/, logs/postgres.log) */
    public void start(Path dataDir, Consumer<String> log) throws Exception {
        try {
            startPostgres(dataDir, log);
            startBroker(dataDir, log);
        } catch (Exception e) {
            close();
            throw e;
        }
    }

    private void startPostgres(Path dataDir, Consumer<String> log) throws Exception {
        if (Ports.isOpen("127.0.0.1", POSTGRES_PORT)) {
            note(log, "PostgreSQL: already running on 127.0.0.1:" + POSTGRES_PORT + ", left as it is");
            return;
        }
        log.accept("PostgreSQL: starting an embedded one on 127.0.0.1:" + POSTGRES_PORT + " (data in "
                + dataDir.resolve("postgres") + ")");
        EmbeddedPostgres postgres = EmbeddedPostgres.start(dataDir.resolve("postgres"), POSTGRES_PORT,
                dataDir.resolve("logs/postgres.log"));
        push(postgres);
        note(log, "PostgreSQL: embedded PostgreSQL at 127.0.0.1:" + POSTGRES_PORT + " (user "
                + EmbeddedPostgres.SUPERUSER + ", trust authentication, pid " + postgres.pid()
                + postgres.stagedIn().map(dir -> ", run from " + dir + ": its user cannot enter the data folder").orElse("")
                + ")");
    }

    private void startBroker(Path dataDir, Consumer<String> log) throws Exception {
        if (Ports.isOpen("127.0.0.1", AMQP_PORT)) {
            note(log, "AMQP broker: already running on 127.0.0.1:" + AMQP_PORT + ", left as it is");
            return;
        }
        // The broker keeps its messages on disk; a test run starts from an empty one, as it always did.
        deleteRecursively(dataDir.resolve("amqp").resolve(EmbeddedAmqpBroker.MESSAGE_STORE));
        EmbeddedAmqpBroker broker = EmbeddedAmqpBroker.start(dataDir.resolve("amqp"), AMQP_PORT, "guest", "guest");
        push(broker);
        note(log, "AMQP broker: embedded Qpid Broker-J at amqp://127.0.0.1:" + AMQP_PORT + " (guest/guest)");
    }

    private static void deleteRecursively(Path folder) throws java.io.IOException {
        if (!java.nio.file.Files.exists(folder)) {
            return;
        }
        try (var paths = java.nio.file.Files.walk(folder)) {
            for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                java.nio.file.Files.delete(path);
            }
        }
    }

    private synchronized void push(AutoCloseable server) throws Exception {
        if (closed) { // stopped (SIGTERM) while this one was starting
            server.close();
            throw new IllegalStateException("stopped while starting");
        }
        started.push(server);
    }

    private void note(Consumer<String> log, String line) {
        summary.add(line);
        log.accept(line);
    }

    /** Whether anything was started here (false: both servers were already running). */
    public synchronized boolean startedAny() {
        return !started.isEmpty();
    }

    public List<String> summary() {
        return List.copyOf(summary);
    }

    @Override
    public synchronized void close() {
        closed = true;
        while (!started.isEmpty()) {
            try {
                started.pop().close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                System.err.println("local-stack: error while stopping an embedded server: " + e);
            }
        }
    }
}
