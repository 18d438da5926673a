package io.texttoimage.localstack.infra;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;
import com.rabbitmq.client.MessageProperties;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** The RabbitMQ Java client (what the services use underneath) against the embedded Qpid Broker-J. */
class EmbeddedAmqpBrokerTest {

    @Test
    void rabbitMqClientWorksWithRabbitOnlyArgumentsConfirmsAndServerNamedQueues() throws Exception {
        int port = Ports.free();
        try (EmbeddedAmqpBroker broker = EmbeddedAmqpBroker.start(TestDirs.fresh("amqp"), port, "guest", "guest")) {
            ConnectionFactory factory = new ConnectionFactory();
            factory.setHost(broker.endpoint().host());
            factory.setPort(broker.endpoint().port());
            factory.setUsername("guest");
            factory.setPassword("guest");
            try (Connection connection = factory.newConnection(); Channel channel = connection.createChannel()) {
                channel.exchangeDeclare("t2i-test.work", "topic", true);
                // RabbitMQ-only arguments: Qpid rejects them unless told to ignore unknown declare arguments.
                channel.queueDeclare("t2i-test.work-queue", true, false, false,
                        Map.of("x-dead-letter-exchange", "DLX", "x-queue-type", "classic"));
                channel.queueBind("t2i-test.work-queue", "t2i-test.work", "#");
                String replicaQueue = channel.queueDeclare().getQueue(); // server-named, exclusive, auto-delete
                assertTrue(replicaQueue != null && !replicaQueue.isBlank());
                channel.queueBind(replicaQueue, "t2i-test.work", "job.*");

                channel.confirmSelect();
                byte[] body = "{\"hello\":1}".getBytes(StandardCharsets.UTF_8);
                channel.basicPublish("t2i-test.work", "job.progress", MessageProperties.PERSISTENT_BASIC, body);
                channel.waitForConfirmsOrDie(5_000);

                channel.basicQos(1);
                GetResponse work = channel.basicGet("t2i-test.work-queue", false);
                GetResponse fanned = channel.basicGet(replicaQueue, true);
                assertNotNull(work, "durable queue got nothing");
                assertNotNull(fanned, "server-named queue got nothing");
                assertArrayEquals(body, work.getBody());
                assertArrayEquals(body, fanned.getBody());
                channel.basicAck(work.getEnvelope().getDeliveryTag(), false);
                assertEquals(0, channel.queueDeclarePassive("t2i-test.work-queue").getMessageCount());
            }
        }
        assertTrue(Ports.isFree(port), "broker port still taken after close");
    }

    @Test
    void durableQueuesAndPersistentMessagesSurviveARestartOnTheSameFolder() throws Exception {
        java.nio.file.Path workDir = TestDirs.fresh("amqp");
        byte[] job = "{\"job\":\"queued before the restart\"}".getBytes(StandardCharsets.UTF_8);
        byte[] taken = "{\"job\":\"taken, not acknowledged\"}".getBytes(StandardCharsets.UTF_8);
        int port = Ports.free();
        try (EmbeddedAmqpBroker broker = EmbeddedAmqpBroker.start(workDir, port, "guest", "guest");
             Connection connection = connect(broker); Channel channel = connection.createChannel()) {
            channel.queueDeclare("t2i-test.jobs", true, false, false, Map.of());
            channel.confirmSelect();
            channel.basicPublish("", "t2i-test.jobs", MessageProperties.PERSISTENT_BASIC, job);
            channel.basicPublish("", "t2i-test.jobs", MessageProperties.PERSISTENT_BASIC, taken);
            channel.waitForConfirmsOrDie(5_000);
            // A worker holds the second message, unacknowledged, when the stack stops (a Ctrl-C mid-job).
            channel.basicQos(1);
            assertNotNull(channel.basicGet("t2i-test.jobs", false));
        }
        try (EmbeddedAmqpBroker broker = EmbeddedAmqpBroker.start(workDir, Ports.free(), "guest", "guest");
             Connection connection = connect(broker); Channel channel = connection.createChannel()) {
            assertEquals(2, channel.queueDeclarePassive("t2i-test.jobs").getMessageCount(),
                    "the queue and both messages, the unacknowledged one included, come back");
            GetResponse first = channel.basicGet("t2i-test.jobs", true);
            GetResponse second = channel.basicGet("t2i-test.jobs", true);
            assertNotNull(first);
            assertNotNull(second);
            assertEquals(java.util.Set.of(new String(job, StandardCharsets.UTF_8), new String(taken, StandardCharsets.UTF_8)),
                    java.util.Set.of(new String(first.getBody(), StandardCharsets.UTF_8),
                            new String(second.getBody(), StandardCharsets.UTF_8)));
        }
        assertTrue(java.nio.file.Files.isDirectory(workDir.resolve(EmbeddedAmqpBroker.MESSAGE_STORE)),
                "the messages are kept in the broker's work folder");
    }

    private static Connection connect(EmbeddedAmqpBroker broker) throws Exception {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setHost(broker.endpoint().host());
        factory.setPort(broker.endpoint().port());
        factory.setUsername("guest");
        factory.setPassword("guest");
        return factory.newConnection();
    }

    @Test
    void wrongPasswordIsRefused() throws Exception {
        try (EmbeddedAmqpBroker broker = EmbeddedAmqpBroker.start(TestDirs.fresh("amqp"), Ports.free(), "guest", "guest")) {
            ConnectionFactory factory = new ConnectionFactory();
            factory.setPort(broker.endpoint().port());
            factory.setUsername("guest");
            factory.setPassword("wrong");
            org.junit.jupiter.api.Assertions.assertThrows(Exception.class, () -> factory.newConnection().close());
        }
    }
}
