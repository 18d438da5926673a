package io.texttoimage.broker;

import com.rabbitmq.client.Connection;
import io.texttoimage.broker.testing.CuttableProxy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A service that starts before its broker: {@link BrokerConnection#start} waits in the background and sets up once
 * the real RabbitMQ at 127.0.0.1:5672 can be reached (through a relay that refuses connections first), with one log
 * line for the wait and one for its end.
 */
class BrokerConnectionStartTest {
    private final List<LogRecord> logged = new CopyOnWriteArrayList<>();
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord record) {
            logged.add(record);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };
    private final Logger log = Logger.getLogger(BrokerConnection.class.getName());

    @BeforeEach
    void captureLog() {
        log.addHandler(capture);
    }

    @AfterEach
    void stopCapturing() {
        log.removeHandler(capture);
    }

    @Test
    void aBrokerThatComesLaterIsWaitedForAndSetUpOnceItIsThere() throws Exception {
        try (CuttableProxy link = CuttableProxy.toUnreachableTestBroker()) {
            BrokerConnection broker = new BrokerConnection(BrokerSettings.plain("127.0.0.1", link.port(), "guest",
                    "guest"), "start-test");
            try (broker) {
                CompletableFuture<Connection> setUp = new CompletableFuture<>();
                broker.start(setUp::complete); // returns: the broker is not there
                assertFalse(broker.isOpen(), "not ready while waiting");
                IOException refused = assertThrows(IOException.class, broker::get);
                assertEquals("waiting for RabbitMQ at amqp://127.0.0.1:" + link.port(), refused.getMessage());

                Thread.sleep(3_500); // tries at 1 s and 3 s fail
                assertFalse(setUp.isDone());
                link.restore();
                long restoredAt = System.nanoTime();
                Connection connection = setUp.get(BrokerConnection.MAX_RETRY.toSeconds() + 5, TimeUnit.SECONDS);
                System.out.printf("Set up %d ms after the broker could be reached%n",
                        Duration.ofNanos(System.nanoTime() - restoredAt).toMillis());
                assertTrue(connection.isOpen());
                long setUpAt = System.nanoTime();
                while (!broker.isOpen() && System.nanoTime() - setUpAt < 1_000_000_000L) {
                    Thread.sleep(10); // the setup has handed the connection over, and is about to return
                }
                assertTrue(broker.isOpen(), "ready once set up");
                assertEquals(connection, broker.get());
            }
        }
        List<String> lines = logged.stream().filter(r -> r.getLevel().intValue() >= Level.INFO.intValue())
                .map(r -> r.getLevel() + " " + r.getMessage()).toList();
        assertEquals(2, lines.size(), "one line for the wait, one for its end: " + lines);
        assertTrue(lines.get(0).startsWith("WARNING RabbitMQ at {0} cannot be reached"), lines.get(0));
        assertTrue(lines.get(1).startsWith("INFO Connected to RabbitMQ at {0} after waiting"), lines.get(1));
    }

    @Test
    void aBrokerThatIsThereIsSetUpAtOnceAndARefusalFailsTheStart() throws Exception {
        try (BrokerConnection broker = new BrokerConnection(BrokerSettings.plain("127.0.0.1", 5672, "guest", "guest"),
                "start-test")) {
            List<Connection> setUp = new CopyOnWriteArrayList<>();
            broker.start(setUp::add);
            assertEquals(1, setUp.size(), "set up before start returns");
            assertTrue(broker.isOpen());
        }
        try (BrokerConnection broker = new BrokerConnection(BrokerSettings.plain("127.0.0.1", 5672, "guest", "guest"),
                "start-test")) {
            RefusedDeclarationException refusal = new RefusedDeclarationException("the queue has another type", null);
            assertEquals(refusal, assertThrows(RefusedDeclarationException.class, () -> broker.start(connection -> {
                throw refusal;
            })));
        }
    }

    @Test
    void closingStopsTheWait() throws Exception {
        try (CuttableProxy link = CuttableProxy.toUnreachableTestBroker()) {
            BrokerConnection broker = new BrokerConnection(BrokerSettings.plain("127.0.0.1", link.port(), "guest",
                    "guest"), "start-test");
            CompletableFuture<Connection> setUp = new CompletableFuture<>();
            broker.start(setUp::complete);
            broker.close();
            link.restore();
            Thread.sleep(BrokerConnection.FIRST_RETRY.toMillis() * 3 + 500); // the tries at 1 s and 3 s
            assertFalse(setUp.isDone(), "a closed connection is not set up");
            assertFalse(broker.isOpen());
        }
    }
}
