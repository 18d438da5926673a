package io.texttoimage.storage;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;
import io.texttoimage.broker.StoreImageHeaders;
import io.texttoimage.broker.Topology;
import io.texttoimage.contracts.ImageStored;

import java.util.Date;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * What a generator does with the adapter, on the real RabbitMQ: publishes StoreImage messages (confirmed) and reads
 * the {@link ImageStored} notifications from its own auto-delete queue on the fanout exchange.
 */
final class GeneratorSide implements AutoCloseable {
    private final ObjectMapper json;
    private final Connection connection;
    private final Channel channel;
    private final String storedQueue;

    GeneratorSide(ObjectMapper json) throws Exception {
        this.json = json;
        ConnectionFactory factory = new ConnectionFactory();
        factory.setHost("127.0.0.1");
        connection = factory.newConnection("storage-adapter-test");
        channel = connection.createChannel();
        channel.confirmSelect();
        storedQueue = channel.queueDeclare().getQueue();
        channel.queueBind(storedQueue, StorageTestResource.topology.imageStoredExchange(), "");
    }

    /** The headers a generator writes for image {@code index} of {@code count}. */
    static Map<String, Object> headers(UUID jobId, int index, int count) {
        Map<String, Object> headers = new HashMap<>();
        headers.put(StoreImageHeaders.JOB_ID, jobId.toString());
        headers.put(StoreImageHeaders.IMAGE_INDEX, index);
        headers.put(StoreImageHeaders.IMAGE_COUNT, count);
        headers.put(StoreImageHeaders.SCHEMA, 1);
        return headers;
    }

    /** Published now, with the generator's properties (publish time included). */
    void publish(UUID jobId, int index, int count, byte[] png) throws Exception {
        publish(StoreImageHeaders.properties(jobId, index, count), png);
    }

    /** Published without a timestamp, as an older generator would. */
    void publish(Map<String, Object> headers, byte[] body) throws Exception {
        publish(new AMQP.BasicProperties.Builder().contentType("image/png").deliveryMode(2).headers(headers).build(),
                body);
    }

    /** As if the generator had published it at {@code publishedAt} (a redelivery of an old message). */
    void publishAsOf(Date publishedAt, UUID jobId, int index, int count, byte[] png) throws Exception {
        publish(StoreImageHeaders.properties(jobId, index, count).builder().timestamp(publishedAt).build(), png);
    }

    private void publish(AMQP.BasicProperties props, byte[] body) throws Exception {
        channel.basicPublish(StorageTestResource.topology.imageStoreExchange(), Topology.STORE_IMAGE_ROUTING_KEY, true,
                props, body);
        channel.waitForConfirmsOrDie(5_000);
    }

    /** Next notification for this job within {@code seconds}; notifications of other tests' jobs are skipped. */
    ImageStored awaitStored(UUID jobId, int seconds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            GetResponse response = channel.basicGet(storedQueue, true);
            if (response == null) {
                Thread.sleep(20);
                continue;
            }
            ImageStored stored = json.readValue(response.getBody(), ImageStored.class);
            if (jobId.equals(stored.jobId())) {
                return stored;
            }
        }
        return fail("No ImageStored for job " + jobId + " within " + seconds + " s");
    }

    ImageStored awaitStored(UUID jobId) throws Exception {
        return awaitStored(jobId, 20);
    }

    void assertQueueDrained() throws Exception {
        String queue = StorageTestResource.topology.imageStoreQueue();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        long count;
        do {
            count = channel.queueDeclarePassive(queue).getMessageCount();
            if (count == 0) {
                return;
            }
            Thread.sleep(20);
        } while (System.nanoTime() < deadline);
        fail(count + " message(s) left in " + queue);
    }

    /**
     * A requeued message would be processed again and notify again. It goes back to the head of the queue, and the
     * test's single consumer takes the queue in order: had it been requeued, its second notification would come
     * before the one of an image published now. Needs S3 to store that image.
     */
    void assertNoFurtherNotification(UUID jobId) throws Exception {
        UUID later = UUID.randomUUID();
        publish(later, 0, 1, TestImages.png(8, 8, 6));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            GetResponse response = channel.basicGet(storedQueue, true);
            if (response == null) {
                Thread.sleep(20);
                continue;
            }
            ImageStored stored = json.readValue(response.getBody(), ImageStored.class);
            assertTrue(!jobId.equals(stored.jobId()), "unexpected second notification " + stored);
            if (later.equals(stored.jobId())) {
                return;
            }
        }
        fail("No ImageStored for job " + later + " within 20 s");
    }

    @Override
    public void close() throws Exception {
        connection.close();
    }
}
