package io.texttoimage.storage;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Consumes the shared durable {@code <prefix>.image-store} queue: writes each PNG to the bucket, then publishes
 * {@link ImageStored} on the fanout {@code <prefix>.image-stored} exchange, and acknowledges only once the object is
 * written and the broker has confirmed the notification. A crash in between means redelivery, which overwrites the
 * same key (no duplicate) and notifies again; generators ignore notifications they no longer wait for.
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
    private final Counter retried;
    private final List<Channel> channels = new ArrayList<>();

    public ImageStoreConsumer(BrokerConnection broker, Topology topology, StorageConfig storage,
                              ImageBucket bucket, ObjectMapper json, MeterRegistry registry) {
        this.broker = broker;
        this.topology = topology;
        this.storage = storage;
        this.bucket = bucket;
        this.json = json;
        this.stored = registry.counter("t2i.storage.images", "outcome", "stored");
        this.rejected = registry.counter("t2i.storage.images", "outcome", "rejected");
        this.retried = registry.counter("t2i.storage.images", "outcome", "retried");
    }

    /** Declares the adapter's topology before consuming, on the shared connection (recovered with it). */
    void onStart(@Observes StartupEvent event) throws IOException {
        String queue = topology.imageStoreQueue();
        TopologyDeclarer.declare(broker.get(), topology.startupOf(Role.STORAGE_ADAPTER));
        for (int i = 0; i < Math.max(1, storage.consumers()); i++) {
            Channel consume = broker.get().createChannel();
            Channel publish = broker.get().createChannel();
            publish.confirmSelect();
            // One unacknowledged message per channel: parallelism comes from the number of channels.
            consume.basicQos(1);
            consume.basicConsume(queue, false, "storage-adapter-" + i, new StoreImageConsumer(consume, publish));
            channels.add(consume);
            channels.add(publish);
        }
        LOG.infof("Consuming %s with %d consumer(s)", queue, storage.consumers());
    }

    void onStop(@Observes @Priority(1) ShutdownEvent event) {
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
            try {
                bucket.putPng(message.key(), message.png(), message.jobId(), message.index());
            } catch (Exception e) {
                // S3 down or refusing: hand the message back after a pause instead of losing the image.
                LOG.warnf("Storing %s failed, requeueing: %s", message.key(), e.getMessage());
                retried.increment();
                pause();
                getChannel().basicNack(deliveryTag, false, true);
                return;
            }
            notifyThenAck(new ImageStored(ImageStored.SCHEMA_VERSION, message.jobId(), message.index(),
                    message.key(), message.png().length, null), deliveryTag);
            stored.increment();
            LOG.debugf("Stored %s (%d bytes)", message.key(), message.png().length);
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
                LOG.warnf("ImageStored for job %s not confirmed, requeueing: %s", notification.jobId(), e.getMessage());
                pause();
                getChannel().basicNack(deliveryTag, false, true);
                return;
            }
            getChannel().basicAck(deliveryTag, false);
        }

        private void pause() {
            try {
                Thread.sleep(storage.retryBackoff().toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
