package io.texttoimage.storage;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.texttoimage.broker.BrokerConnection;
import io.texttoimage.broker.Role;
import io.texttoimage.broker.Topology;
import io.texttoimage.broker.TopologyDeclarer;
import io.texttoimage.contracts.ImageStored;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Consumes the shared durable {@code <prefix>.image-store} queue: writes each PNG to the bucket, then publishes
 * {@link ImageStored} on the fanout {@code <prefix>.image-stored} exchange, and acknowledges only once the object is
 * written and the broker has confirmed the notification. A crash in between means redelivery, which overwrites the
 * same key (no duplicate) and notifies again; generators ignore notifications they no longer wait for. A failing S3
 * write is retried on the same delivery within {@link StoreRetries}' window, then announced as failed: an outage
 * shorter than the window delays the job, a longer one fails it with a reason, and no notification says "stored"
 * for an object that is not in the bucket.
 */
@ApplicationScoped
public class ImageStoreConsumer {
    private static final Logger LOG = Logger.getLogger(ImageStoreConsumer.class);
    private static final long CONFIRM_TIMEOUT_MS = 10_000;

    private final BrokerConnection broker;
    private final Topology topology;
    private final StorageConfig storage;
    private final ImageBucket bucket;
    private final ObjectMapper json;
    private final Counter stored;
    private final Counter rejected;
    /** One per failed attempt that is retried. */
    private final Counter retried;
    /** Images whose retry window ended: announced with the error, the job fails. */
    private final Counter gaveUp;
    /** Images being retried right now: above 0 while S3 fails. */
    private final AtomicInteger retrying = new AtomicInteger();
    private final StoreRetries retries;
    private final CountDownLatch stopping = new CountDownLatch(1);
    private final List<Channel> channels = new ArrayList<>();

    public ImageStoreConsumer(BrokerConnection broker, Topology topology, StorageConfig storage,
                              ImageBucket bucket, ObjectMapper json, MeterRegistry registry) {
        this.broker = broker;
        this.topology = topology;
        this.storage = storage;
        this.bucket = bucket;
        this.json = json;
        this.retries = StoreRetries.of(storage);
        this.stored = registry.counter("t2i.storage.images", "outcome", "stored");
        this.rejected = registry.counter("t2i.storage.images", "outcome", "rejected");
        this.retried = registry.counter("t2i.storage.images", "outcome", "retried");
        this.gaveUp = registry.counter("t2i.storage.images", "outcome", "gave-up");
        registry.gauge("t2i.storage.images.retrying", retrying);
    }

    /**
     * Declares the adapter's topology before consuming, on the shared connection (recovered with it). A broker that
     * is not there yet is waited for, with readiness DOWN.
     */
    void onStart(@Observes StartupEvent event) throws IOException {
        broker.start(this::consume);
    }

    private synchronized void consume(Connection connection) throws IOException {
        String queue = topology.imageStoreQueue();
        TopologyDeclarer.declare(connection, topology.startupOf(Role.STORAGE_ADAPTER));
        channels.clear(); // those of a start-up that failed halfway, closed with their connection
        for (int i = 0; i < Math.max(1, storage.consumers()); i++) {
            Channel consume = connection.createChannel();
            Channel publish = connection.createChannel();
            publish.confirmSelect();
            // One unacknowledged message per channel: parallelism comes from the number of channels.
            consume.basicQos(1);
            consume.basicConsume(queue, false, "storage-adapter-" + i, new StoreImageConsumer(consume, publish));
            channels.add(consume);
            channels.add(publish);
        }
        LOG.infof("Consuming %s with %d consumer(s)", queue, storage.consumers());
    }

    synchronized void onStop(@Observes @Priority(1) ShutdownEvent event) {
        // Wake stores that are waiting to retry: they leave their message unacknowledged.
        stopping.countDown();
        // Stop taking messages first; an unacknowledged one goes back to the queue when the connection closes.
        for (Channel channel : channels) {
            try {
                if (channel.isOpen()) {
                    channel.close();
                }
            } catch (Exception e) {
                LOG.debugf("Closing channel: %s", e.getMessage());
            }
        }
        channels.clear();
    }

    private final class StoreImageConsumer extends DefaultConsumer {
        private final Channel publish;

        StoreImageConsumer(Channel consume, Channel publish) {
            super(consume);
            this.publish = publish;
        }

        @Override
        public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties props, byte[] body)
                throws IOException {
            long deliveryTag = envelope.getDeliveryTag();
            Map<String, Object> headers = props == null ? null : props.getHeaders();
            StoreImageMessage message;
            try {
                message = StoreImageMessage.parse(headers, body);
            } catch (StoreImageMessage.InvalidMessageException invalid) {
                // Poison: tell the producer why, and never requeue it.
                LOG.warnf("Rejecting StoreImage message (job %s): %s", invalid.jobId(), invalid.getMessage());
                int index = invalid.index() == null ? -1 : invalid.index();
                String key = invalid.jobId() == null || index < 0 ? null : ImageStored.keyOf(invalid.jobId(), index);
                notifyThenAck(new ImageStored(ImageStored.SCHEMA_VERSION, invalid.jobId(), index, key, 0,
                        invalid.getMessage()), deliveryTag);
                rejected.increment();
                return;
            }
            store(message, props == null ? null : props.getTimestamp(), deliveryTag);
        }

        /**
         * Writes the image, retrying on this delivery while S3 fails, within {@link StoreRetries}' window; then
         * announces it and acknowledges. Past the window it announces the failure instead (the job fails with the
         * reason) and acknowledges too: the image is given up, not requeued forever. Shutting down or losing the
         * channel in between leaves the message unacknowledged, so the broker hands it to another consumer.
         */
        private void store(StoreImageMessage message, Date published, long deliveryTag) throws IOException {
            Instant windowStart = StoreRetries.windowStart(published, Instant.now());
            int failures = 0;
            boolean waiting = false;
            try {
                while (true) {
                    try {
                        bucket.putPng(message.key(), message.png(), message.jobId(), message.index());
                        break;
                    } catch (Exception e) {
                        failures++;
                        Optional<Duration> pause = retries.nextPause(windowStart, failures, Instant.now());
                        if (pause.isEmpty()) {
                            giveUp(message, failures, windowStart, e, deliveryTag);
                            return;
                        }
                        if (!waiting) {
                            waiting = true;
                            retrying.incrementAndGet();
                        }
                        retried.increment();
                        logRetry(message, failures, windowStart, e);
                        if (!pause(pause.get())) {
                            return;
                        }
                    }
                }
            } finally {
                if (waiting) {
                    retrying.decrementAndGet();
                }
            }
            stored.increment();
            if (failures > 0) {
                LOG.infof("Stored %s after %d attempts over %d s", message.key(), failures + 1,
                        Duration.between(windowStart, Instant.now()).toSeconds());
            } else {
                LOG.debugf("Stored %s (%d bytes)", message.key(), message.png().length);
            }
            notifyThenAck(new ImageStored(ImageStored.SCHEMA_VERSION, message.jobId(), message.index(),
                    message.key(), message.png().length, null), deliveryTag);
        }

        /** One line when a store starts failing, the attempts after it only at DEBUG: no log flood in an outage. */
        private void logRetry(StoreImageMessage message, int failures, Instant windowStart, Exception e) {
            if (failures == 1) {
                LOG.warnf("Storing %s failed, retrying for up to %d s: %s", message.key(),
                        Duration.between(Instant.now(), windowStart.plus(retries.window())).toSeconds(),
                        ImageBucket.describe(e));
            } else {
                LOG.debugf("Storing %s failed (attempt %d): %s", message.key(), failures, ImageBucket.describe(e));
            }
        }

        private void giveUp(StoreImageMessage message, int attempts, Instant windowStart, Exception last,
                            long deliveryTag) throws IOException {
            long seconds = Duration.between(windowStart, Instant.now()).toSeconds();
            String reason = "Gave up after " + attempts + (attempts == 1 ? " attempt" : " attempts") + " over "
                    + seconds + " s: " + ImageBucket.describe(last) + ".";
            LOG.warnf("Storing %s: %s", message.key(), reason);
            gaveUp.increment();
            notifyThenAck(new ImageStored(ImageStored.SCHEMA_VERSION, message.jobId(), message.index(),
                    message.key(), 0, reason), deliveryTag);
        }

        private void notifyThenAck(ImageStored notification, long deliveryTag) throws IOException {
            try {
                AMQP.BasicProperties props = new AMQP.BasicProperties.Builder()
                        .contentType("application/json")
                        .deliveryMode(2)
                        .build();
                publish.basicPublish(topology.imageStoredExchange(), Topology.IMAGE_STORED_ROUTING_KEY, props,
                        json.writeValueAsBytes(notification));
                // Not waitForConfirmsOrDie: that closes the channel, and this one is reused.
                if (!publish.waitForConfirms(CONFIRM_TIMEOUT_MS)) {
                    throw new IOException("the broker refused (nack) the notification");
                }
            } catch (Exception e) {
                // Broker trouble, not S3's: the redelivery writes the same key again and notifies again.
                LOG.warnf("ImageStored for job %s not confirmed, requeueing: %s", notification.jobId(), e.getMessage());
                if (pause(retries.firstBackoff())) {
                    getChannel().basicNack(deliveryTag, false, true);
                }
                return;
            }
            getChannel().basicAck(deliveryTag, false);
        }

        /** Waits; false when the adapter is stopping or the channel closed meanwhile (then nothing is to be settled). */
        private boolean pause(Duration pause) {
            try {
                if (stopping.await(pause.toMillis(), TimeUnit.MILLISECONDS)) {
                    return false;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
            return getChannel().isOpen();
        }
    }
}
