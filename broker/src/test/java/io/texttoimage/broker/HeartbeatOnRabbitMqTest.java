package io.texttoimage.broker;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import io.texttoimage.broker.testing.CuttableProxy;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The AMQP heartbeat on the real broker at 127.0.0.1:5672: a consumer whose link goes silent (a blackhole: nothing
 * forwarded, nothing closed, as in a partition) is noticed by both sides within a few heartbeats. The broker closes
 * its connection and gives the message it held to another consumer; the cut-off client's own connection fails, and
 * recovers once the link is back. A 2 s heartbeat keeps the test short; the default is {@link
 * BrokerSettings#DEFAULT_REQUESTED_HEARTBEAT_SECONDS}.
 */
class HeartbeatOnRabbitMqTest {
    private static final int HEARTBEAT_SECONDS = 2;
    /**
     * The client gives up after two silent timeouts, RabbitMQ after two to three (its receiver checks once per timeout:
     * 5.9 s measured with 2 s); 2 s more for a loaded host.
     */
    private static final Duration NOTICED_WITHIN = Duration.ofSeconds(3L * HEARTBEAT_SECONDS + 2);
    private static final Duration RECOVERED_WITHIN = Duration.ofSeconds(30);
    private static final byte[] JOB = "a job held by a worker that is cut off".getBytes(StandardCharsets.UTF_8);

    private final BrokerSettings direct = BrokerSettings.plain("127.0.0.1", 5672, "guest", "guest")
            .withRequestedHeartbeat(HEARTBEAT_SECONDS);

    @Test
    void aSilentlyCutConsumerIsNoticedByBothSidesAndItsUnacknowledgedMessageGoesToAnotherConsumer() throws Exception {
        String queue = "t2i-heartbeat-test-" + UUID.randomUUID().toString().substring(0, 8);
        try (CuttableProxy link = new CuttableProxy("127.0.0.1", 5672);
             Connection admin = direct.connectionFactory().newConnection("heartbeat-test-admin")) {
            Channel adminChannel = admin.createChannel();
            adminChannel.queueDeclare(queue, false, false, false, null);
            BrokerConnection cutOff = new BrokerConnection(BrokerSettings.plain("127.0.0.1", link.port(), "guest",
                    "guest").withRequestedHeartbeat(HEARTBEAT_SECONDS), "heartbeat-test-cut-off");
            try (cutOff; Connection other = direct.connectionFactory().newConnection("heartbeat-test-other")) {
                Connection cutOffConnection = cutOff.get();
                assertEquals(HEARTBEAT_SECONDS, cutOffConnection.getHeartbeat(), "the negotiated heartbeat");
                BlockingQueue<Envelope> held = consumeWithoutAcknowledging(cutOffConnection, queue);
                adminChannel.basicPublish("", queue, null, JOB);
                assertNotNull(held.poll(5, TimeUnit.SECONDS), "the cut-off consumer got the message first");
                BlockingQueue<Envelope> redelivered = consumeWithoutAcknowledging(other, queue);
                CompletableFuture<Long> clientNoticed = new CompletableFuture<>();
                cutOffConnection.addShutdownListener(cause -> clientNoticed.complete(System.nanoTime()));

                long cutAt = System.nanoTime();
                link.blackhole();
                Envelope handedOver = redelivered.poll(NOTICED_WITHIN.toMillis(), TimeUnit.MILLISECONDS);
                assertNotNull(handedOver, "the broker requeued the message within " + NOTICED_WITHIN);
                Duration requeuedAfter = Duration.ofNanos(System.nanoTime() - cutAt);
                assertTrue(handedOver.isRedeliver());
                Duration clientNoticedAfter = Duration.ofNanos(clientNoticed.get(NOTICED_WITHIN.toMillis(),
                        TimeUnit.MILLISECONDS) - cutAt);
                System.out.printf("Heartbeat %d s: the message was redelivered %d ms after the cut, the cut-off "
                        + "client noticed after %d ms%n", HEARTBEAT_SECONDS, requeuedAfter.toMillis(),
                        clientNoticedAfter.toMillis());

                link.heal();
                long healedAt = System.nanoTime();
                while (!cutOff.isOpen() && System.nanoTime() - healedAt < RECOVERED_WITHIN.toNanos()) {
                    Thread.sleep(100);
                }
                assertTrue(cutOff.isOpen(), "the cut-off client reconnected within " + RECOVERED_WITHIN);
            } finally {
                adminChannel.queueDelete(queue);
            }
        }
    }

    /** Prefetch 1, never acknowledged: the consumer holds what it got until its connection closes. */
    private static BlockingQueue<Envelope> consumeWithoutAcknowledging(Connection connection, String queue)
            throws IOException {
        BlockingQueue<Envelope> deliveries = new ArrayBlockingQueue<>(10);
        Channel channel = connection.createChannel();
        channel.basicQos(1);
        channel.basicConsume(queue, false, new DefaultConsumer(channel) {
            @Override
            public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties props, byte[] body) {
                deliveries.add(envelope);
            }
        });
        return deliveries;
    }
}
