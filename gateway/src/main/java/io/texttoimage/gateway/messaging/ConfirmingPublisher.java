package io.texttoimage.gateway.messaging;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConfirmListener;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.ShutdownSignalException;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.texttoimage.broker.BrokerSettings;
import io.texttoimage.gateway.job.JobCommands;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Publishes messages with publisher confirms on one channel of the plain RabbitMQ client, many in flight at once.
 * Callers hand a message over without blocking; one publishing thread writes whatever has queued up, and each
 * message's future completes when the broker confirms it (fails on a nack, on a return of a mandatory message
 * that no queue took, or when the connection is lost before the confirm).
 *
 * <p>Why not the SmallRye connector's emitter: it publishes one message at a time through a worker thread and
 * back, so under load the confirm of a submission waited 25–125 ms behind the ones before it, while the broker
 * itself confirms in 1–2 ms. This class keeps the broker's latency.
 *
 * <p>The connection is opened at start and reopened every 2 s while it is lost; while it is down every publish
 * fails at once (the submission gets 503) instead of waiting for the confirm timeout, and readiness says so. An
 * outage is logged twice, whatever its length: one WARN when it starts and one INFO with its figures when the
 * publisher is connected again ({@link Outage}; before, a WARN every 2 s).
 */
@ApplicationScoped
public class ConfirmingPublisher {
    private static final Logger LOG = Logger.getLogger(ConfirmingPublisher.class);
    private static final long RECONNECT_MILLIS = 2_000;
    /** Header that lets a returned mandatory message be matched to its caller. */
    private static final String RETURN_ID_HEADER = "t2i-publish-id";
    private static final AtomicLong RETURN_IDS = new AtomicLong();

    private final BrokerSettings broker;
    private final LinkedBlockingQueue<Pending> toPublish = new LinkedBlockingQueue<>();
    /** Published, awaiting the confirm, by delivery tag of the current channel. */
    private final ConcurrentNavigableMap<Long, Pending> awaitingConfirm = new ConcurrentSkipListMap<>();
    private volatile Connection connection;
    private volatile Channel channel;
    private volatile boolean stopping;
    private Thread publisherThread;
    private final Outage outage = new Outage();

    public ConfirmingPublisher(BrokerSettings broker) {
        this.broker = broker;
    }

    /** Connects before the HTTP server takes requests (when the broker is up), so the first submission can publish. */
    void start(@Observes StartupEvent event) {
        connect();
        publisherThread = Thread.ofPlatform().name("gateway-publisher").daemon().start(this::publishLoop);
    }

    void stop(@Observes ShutdownEvent event) {
        stopping = true;
        publisherThread.interrupt();
        Connection current = connection;
        if (current != null) {
            try {
                current.close(2_000);
            } catch (Exception e) {
                LOG.debugf("Closing the publisher connection: %s", e.getMessage());
            }
        }
        failAll(new IllegalStateException("the gateway is shutting down"));
    }

    /** Whether messages can be published now (for readiness). */
    public boolean isConnected() {
        Channel current = channel;
        return current != null && current.isOpen();
    }

    /**
     * Queues a persistent-or-not message for publishing.
     *
     * @param mandatory whether a message that no queue takes is a failure (the broker returns it) rather than
     *                  silently dropped
     */
    public CompletableFuture<Void> publish(String exchange, String routingKey, AMQP.BasicProperties properties,
                                           byte[] body, boolean mandatory) {
        Pending pending = new Pending(exchange, routingKey, properties, body, mandatory);
        if (stopping) {
            pending.result.completeExceptionally(new IllegalStateException("the gateway is shutting down"));
        } else if (!isConnected()) {
            outage.refused();
            pending.result.completeExceptionally(
                    new JobCommands.BrokerUnreachable("not connected to RabbitMQ at " + broker.address()));
        } else {
            toPublish.add(pending);
        }
        return pending.result;
    }

    private void publishLoop() {
        List<Pending> batch = new ArrayList<>();
        while (!stopping) {
            if (!isConnected() && !connect()) {
                sleep(RECONNECT_MILLIS);
                continue;
            }
            try {
                Pending first = toPublish.poll(1, TimeUnit.SECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                toPublish.drainTo(batch, 1024);
                for (Pending pending : batch) {
                    publishOne(pending);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } finally {
                batch.clear();
            }
        }
    }

    private void publishOne(Pending pending) {
        Channel current = channel;
        if (current == null || !current.isOpen()) {
            pending.result.completeExceptionally(new IllegalStateException("the RabbitMQ channel is closed"));
            return;
        }
        long tag = current.getNextPublishSeqNo();
        awaitingConfirm.put(tag, pending);
        try {
            AMQP.BasicProperties properties = pending.mandatory
                    ? withReturnId(pending.properties, pending.returnId) : pending.properties;
            current.basicPublish(pending.exchange, pending.routingKey, pending.mandatory, properties, pending.body);
        } catch (IOException | RuntimeException e) {
            awaitingConfirm.remove(tag);
            pending.result.completeExceptionally(e);
        }
    }

    /**
     * Opens the connection (if it is not open) and a confirm-mode channel; false (logged) when the broker is
     * unreachable. Reconnecting is done here rather than by the client's automatic recovery, so that there is one
     * owner of the channel and messages in flight are failed, never re-sent behind the caller's back.
     */
    private boolean connect() {
        try {
            if (connection == null || !connection.isOpen()) {
                closeQuietly();
                ConnectionFactory factory = broker.connectionFactory();
                factory.setAutomaticRecoveryEnabled(false);
                connection = factory.newConnection("gateway-publisher");
                LOG.infof("Publisher connected to RabbitMQ at %s", broker.address());
            }
            Channel opened = connection.createChannel();
            opened.confirmSelect();
            opened.addConfirmListener(new ConfirmListener() {
                @Override
                public void handleAck(long tag, boolean multiple) {
                    confirm(tag, multiple, false);
                }

                @Override
                public void handleNack(long tag, boolean multiple) {
                    confirm(tag, multiple, true);
                }
            });
            opened.addReturnListener(returned -> {
                Object id = returned.getProperties().getHeaders() == null ? null
                        : returned.getProperties().getHeaders().get(RETURN_ID_HEADER);
                if (id == null) {
                    return;
                }
                awaitingConfirm.values().stream()
                        .filter(pending -> pending.returnId.equals(id.toString()))
                        .findFirst()
                        .ifPresent(pending -> pending.returned = "no queue is bound to exchange "
                                + returned.getExchange() + " for routing key " + returned.getRoutingKey());
            });
            opened.addShutdownListener(cause -> onChannelLost(opened, cause));
            channel = opened;
            outage.restored().ifPresent(figures -> LOG.infof("Publisher connected to RabbitMQ at %s again: %s",
                    broker.address(), figures));
            return true;
        } catch (Exception e) {
            if (!stopping && outage.attemptFailed()) {
                LOG.warnf("Publisher cannot reach RabbitMQ at %s (%s); submissions are refused with 503 until it is "
                        + "back, retrying every %d s", broker.address(), e.getMessage(), RECONNECT_MILLIS / 1000);
            } else {
                LOG.debugf("Publisher still cannot reach RabbitMQ: %s", e.getMessage());
            }
            closeQuietly();
            return false;
        }
    }

    private void confirm(long tag, boolean multiple, boolean nacked) {
        Map<Long, Pending> done = multiple ? awaitingConfirm.headMap(tag, true) : awaitingConfirm.subMap(tag, true,
                tag, true);
        List<Pending> completed = new ArrayList<>(done.values());
        done.clear();
        for (Pending pending : completed) {
            // A return (RabbitMQ: basic.return, then ack) says more than a nack, so it wins when both came.
            String reason = pending.returned != null ? pending.returned : nacked ? nackReason(pending) : null;
            if (reason == null) {
                pending.result.complete(null);
            } else {
                pending.result.completeExceptionally(new IllegalStateException(reason));
            }
        }
    }

    /**
     * Qpid Broker-J nacks a mandatory message that no queue takes (and returns it only after the nack); RabbitMQ
     * nacks when a queue refuses it (x-overflow=reject-publish). The reason names both causes and the destination.
     */
    private static String nackReason(Pending pending) {
        return "the broker refused the message to exchange " + pending.exchange + " with routing key "
                + pending.routingKey + " (nack" + (pending.mandatory ? ": no queue took it, or its queue is full)" : ")");
    }

    /** The channel closed (connection lost, or closed by the broker): confirms of what is in flight will never come. */
    private void onChannelLost(Channel closed, ShutdownSignalException cause) {
        if (channel == closed) {
            channel = null; // the publishing thread opens a new one (and a new connection if that is gone too)
        }
        if (!stopping && outage.lost()) {
            LOG.warnf("Publisher lost RabbitMQ at %s (%s); submissions are refused with 503 until it is back, "
                    + "reconnecting every %d s", broker.address(), cause.getMessage(), RECONNECT_MILLIS / 1000);
        }
        failAll(new IllegalStateException("the connection to RabbitMQ was lost before the broker confirmed ("
                + cause.getMessage() + ")"));
    }

    private void failAll(Exception failure) {
        List<Pending> lost = new ArrayList<>(awaitingConfirm.values());
        awaitingConfirm.clear();
        List<Pending> queued = new ArrayList<>();
        toPublish.drainTo(queued);
        lost.addAll(queued);
        lost.forEach(pending -> pending.result.completeExceptionally(failure));
    }

    private void closeQuietly() {
        Connection current = connection;
        connection = null;
        channel = null;
        if (current != null) {
            try {
                current.abort(1_000);
            } catch (Exception ignored) {
                // already gone
            }
        }
    }

    private static AMQP.BasicProperties withReturnId(AMQP.BasicProperties properties, String id) {
        Map<String, Object> headers = new java.util.HashMap<>();
        if (properties.getHeaders() != null) {
            headers.putAll(properties.getHeaders());
        }
        headers.put(RETURN_ID_HEADER, id);
        return properties.builder().headers(headers).build();
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * One outage of the publisher's connection, for its two log lines: whether a failure is the first of an outage
     * (log it), and on reconnection how long it lasted, how many connection attempts failed and how many publishes
     * were refused meanwhile. Thread-safe: the channel's shutdown listener, the publishing thread and callers meet here.
     */
    static final class Outage {
        private long startNanos = -1;
        private long failedAttempts;
        private long refusedPublishes;

        /** The connection was lost; true if this starts an outage (rather than continuing one). */
        synchronized boolean lost() {
            if (startNanos >= 0) {
                return false;
            }
            startNanos = System.nanoTime();
            return true;
        }

        /** A connection attempt failed; true if this starts an outage (the broker was down at start). */
        synchronized boolean attemptFailed() {
            boolean first = lost();
            failedAttempts++;
            return first;
        }

        synchronized void refused() {
            if (startNanos >= 0) {
                refusedPublishes++;
            }
        }

        /** Connected: the outage's figures if one was under way (and it is over now), else empty. */
        synchronized java.util.Optional<String> restored() {
            if (startNanos < 0) {
                return java.util.Optional.empty();
            }
            String figures = String.format("down for %.1f s, %d failed connection attempt(s), %d publish(es) refused",
                    (System.nanoTime() - startNanos) / 1e9, failedAttempts, refusedPublishes);
            startNanos = -1;
            failedAttempts = 0;
            refusedPublishes = 0;
            return java.util.Optional.of(figures);
        }
    }

    private static final class Pending {
        final String exchange;
        final String routingKey;
        final AMQP.BasicProperties properties;
        final byte[] body;
        final boolean mandatory;
        final CompletableFuture<Void> result = new CompletableFuture<>();
        final String returnId = Long.toString(RETURN_IDS.incrementAndGet());
        /** Set by the return listener when basic.return comes before the confirm (RabbitMQ; Qpid sends it after). */
        volatile String returned;

        Pending(String exchange, String routingKey, AMQP.BasicProperties properties, byte[] body, boolean mandatory) {
            this.exchange = exchange;
            this.routingKey = routingKey;
            this.properties = properties;
            this.body = body;
            this.mandatory = mandatory;
        }

    }
}
