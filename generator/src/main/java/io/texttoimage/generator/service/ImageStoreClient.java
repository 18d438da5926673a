package io.texttoimage.generator.service;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import io.texttoimage.broker.BrokerConnection;
import io.texttoimage.broker.StoreImageHeaders;
import io.texttoimage.broker.Topology;
import io.texttoimage.broker.TopologyDeclarer;
import io.texttoimage.contracts.ImageStored;
import io.texttoimage.pipeline.GeneratedImage;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Hands PNGs to the storage adapter and waits for its {@link ImageStored} notifications. The generator has no S3
 * credentials: each image travels once, as the body of a persistent StoreImage message, and only keys come back.
 */
@ApplicationScoped
public class ImageStoreClient {
    private static final Logger LOG = Logger.getLogger(ImageStoreClient.class);

    /** A job's images could not be stored; the message is one sentence for the user. */
    public static final class StoreFailedException extends Exception {
        StoreFailedException(String message) {
            super(message);
        }
    }

    private final BrokerConnection broker;
    private final Topology topology;
    private final ConfirmedPublisher publisher;
    private final ObjectMapper json;
    private final Map<UUID, PendingJob> pending = new ConcurrentHashMap<>();
    private Channel notifications;

    public ImageStoreClient(BrokerConnection broker, Topology topology, ConfirmedPublisher publisher,
                            ObjectMapper json) {
        this.broker = broker;
        this.topology = topology;
        this.publisher = publisher;
        this.json = json;
    }

    /**
     * Starts listening for notifications on this worker's own queue (the storage exchanges and queue are part of the
     * generator's start-up declaration).
     */
    synchronized void start() throws IOException {
        if (notifications != null && notifications.isOpen()) {
            return; // a start-up that failed later on is tried again on a new connection
        }
        Channel channel = broker.get().createChannel();
        String queue = TopologyDeclarer.declareQueue(channel, topology.imageStoredQueue());
        channel.basicConsume(queue, true, new DefaultConsumer(channel) {
            @Override
            public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties props, byte[] body) {
                onNotification(body);
            }
        });
        notifications = channel;
    }

    private void onNotification(byte[] body) {
        ImageStored stored;
        try {
            stored = json.readValue(body, ImageStored.class);
        } catch (IOException e) {
            LOG.warnf("Ignoring an unreadable ImageStored notification: %s", e.getMessage());
            return;
        }
        PendingJob job = stored.jobId() == null ? null : pending.get(stored.jobId());
        if (job != null) {
            job.accept(stored);
        }
    }

    /**
     * Sends every image and waits until all are stored; returns the keys in image order.
     *
     * @throws StoreFailedException when the adapter reports an error or does not answer within {@code timeout}
     */
    public List<String> store(UUID jobId, List<GeneratedImage> images, Duration timeout)
            throws IOException, StoreFailedException, InterruptedException {
        PendingJob job = new PendingJob(images.size());
        // Registered before sending: a fast adapter must not answer before anyone listens.
        pending.put(jobId, job);
        try {
            for (GeneratedImage image : images) {
                publisher.publish(topology.imageStoreExchange(), Topology.STORE_IMAGE_ROUTING_KEY,
                        StoreImageHeaders.properties(jobId, image.index(), images.size()), image.png());
            }
            publisher.awaitConfirms(timeout);
            return job.await(timeout);
        } finally {
            pending.remove(jobId);
        }
    }

    /** Collects one notification per image index; the first error or a timeout ends the wait. */
    private static final class PendingJob {
        private final ImageStored[] byIndex;
        private final CompletableFuture<List<String>> done = new CompletableFuture<>();
        private int received;

        PendingJob(int count) {
            this.byIndex = new ImageStored[count];
        }

        synchronized void accept(ImageStored stored) {
            if (stored.failed()) {
                done.completeExceptionally(new StoreFailedException(
                        "Storing image " + stored.index() + " failed: " + stored.error()));
                return;
            }
            int index = stored.index();
            if (index < 0 || index >= byIndex.length || byIndex[index] != null) {
                return; // a duplicate from a redelivery, or not ours
            }
            byIndex[index] = stored;
            if (++received == byIndex.length) {
                List<String> keys = new ArrayList<>(byIndex.length);
                for (ImageStored each : byIndex) {
                    keys.add(each.key());
                }
                done.complete(keys);
            }
        }

        List<String> await(Duration timeout) throws StoreFailedException, InterruptedException {
            try {
                return done.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                throw new StoreFailedException("The storage adapter did not confirm the images within "
                        + timeout.toSeconds() + " s.");
            } catch (ExecutionException e) {
                if (e.getCause() instanceof StoreFailedException failed) {
                    throw failed;
                }
                throw new StoreFailedException("Storing the images failed: " + e.getCause().getMessage());
            }
        }
    }
}
