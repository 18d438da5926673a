package io.texttoimage.broker;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.opentest4j.TestAbortedException;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Bounded attempts on both real brokers: RabbitMQ at 127.0.0.1:5672 (the quorum work queue counts and
 * dead-letters by itself) and the embedded Qpid Broker-J (which ignores those arguments: {@link JobAttempts} counts
 * in a header). Workers are played by connections that take one job each and either acknowledge it or die holding
 * it (the connection is closed without an acknowledgement, as when the process is killed).
 */
class JobAttemptsOnBrokersTest extends OnBothBrokers {
    private static final long TIMEOUT_NANOS = 20_000_000_000L;
    private static final byte[] POISON = "a job that kills its worker".getBytes(StandardCharsets.UTF_8);
    private static final byte[] FINE = "a job behind it".getBytes(StandardCharsets.UTF_8);

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {PORT_5672, EMBEDDED_QPID})
    void aJobWhoseWorkerDiesIsDeadLetteredAfterThreeAttemptsAndTheJobBehindItRuns(String brokerName)
            throws Exception {
        Topology topology = new Topology("t2i-attempts-test-" + UUID.randomUUID().toString().substring(0, 8));
        JobAttempts attempts = new JobAttempts(topology);
        BrokerSettings settings = broker(brokerName);
        try (Connection admin = settings.connectionFactory().newConnection("attempts-test")) {
            try {
                TopologyDeclarer.declare(admin, topology.startupOf(Role.GATEWAY));
                TopologyDeclarer.declare(admin, topology.startupOf(Role.GENERATOR));
                publish(admin, topology.requestsExchange(), new AMQP.BasicProperties.Builder().deliveryMode(2).build(),
                        POISON);
                publish(admin, topology.requestsExchange(), new AMQP.BasicProperties.Builder().deliveryMode(2).build(),
                        FINE);

                List<Integer> poisonRuns = new ArrayList<>();
                List<Integer> fineRuns = new ArrayList<>();
                GetResponse deadLetter = null;
                long deadline = System.nanoTime() + TIMEOUT_NANOS;
                while ((deadLetter == null || fineRuns.isEmpty()) && System.nanoTime() < deadline) {
                    takeOneJob(settings, topology, attempts, poisonRuns, fineRuns);
                    if (deadLetter == null) {
                        deadLetter = get(admin, topology.deadLetterQueue());
                    }
                }
                assertNotNull(deadLetter, "the poison job reached " + topology.deadLetterQueue()
                        + "; runs so far " + poisonRuns);
                assertEquals(List.of(1, 2, 3), poisonRuns, "the poison job ran three times, knowing which attempt");
                assertEquals(List.of(1), fineRuns, "the job behind it ran once");
                assertEquals(new String(POISON, StandardCharsets.UTF_8),
                        new String(deadLetter.getBody(), StandardCharsets.UTF_8));
                assertEquals(3, attempts.attemptsOf(deadLetter.getProps()));
                assertEquals(0, admin.createChannel().queueDeclarePassive(topology.workQueue()).getMessageCount(),
                        "nothing is left in the work queue");
            } finally {
                TopologyDeclarer.delete(admin, List.of(topology.startupOf(Role.GATEWAY),
                        topology.startupOf(Role.GENERATOR)));
            }
        }
    }

    /** One worker on a connection of its own: takes a job, and dies holding the poison one. */
    private static void takeOneJob(BrokerSettings settings, Topology topology, JobAttempts attempts,
                                   List<Integer> poisonRuns, List<Integer> fineRuns) throws Exception {
        Connection worker = settings.connectionFactory().newConnection("attempts-test-worker");
        try {
            Channel channel = worker.createChannel();
            GetResponse job = channel.basicGet(topology.workQueue(), false);
            if (job == null) {
                Thread.sleep(20);
                return;
            }
            JobAttempts.Decision decision = attempts.decide(job.getEnvelope(), job.getProps());
            if (decision.action() != JobAttempts.Action.RUN) {
                publish(worker, decision.exchange(), decision.properties(), job.getBody());
                channel.basicAck(job.getEnvelope().getDeliveryTag(), false);
            } else if (new String(job.getBody(), StandardCharsets.UTF_8).equals(new String(POISON,
                    StandardCharsets.UTF_8))) {
                poisonRuns.add(decision.attempt());
                // dies: the connection goes without an acknowledgement
            } else {
                fineRuns.add(decision.attempt());
                channel.basicAck(job.getEnvelope().getDeliveryTag(), false);
            }
        } finally {
            worker.close();
        }
    }

    private static void publish(Connection connection, String exchange, AMQP.BasicProperties properties,
                                byte[] body) throws Exception {
        try (Channel channel = connection.createChannel()) {
            channel.confirmSelect();
            channel.basicPublish(exchange, Topology.JOB_ROUTING_KEY, true, properties, body);
            channel.waitForConfirmsOrDie(5_000);
        }
    }

    private static GetResponse get(Connection connection, String queue) throws Exception {
        try (Channel channel = connection.createChannel()) {
            return channel.basicGet(queue, true);
        }
    }

    /**
     * The upgrade from a version whose work queue was classic: the declaration is refused, and the error says
     * what the operator does (the queue is left as it was, jobs included).
     */
    @Test
    void aClassicWorkQueueLeftByAnOlderVersionFailsTheDeclarationWithWhatToDo() throws Exception {
        Topology topology = new Topology("t2i-upgrade-test-" + UUID.randomUUID().toString().substring(0, 8));
        BrokerSettings settings = broker(PORT_5672);
        try (Connection admin = settings.connectionFactory().newConnection("upgrade-test")) {
            String product = String.valueOf(admin.getServerProperties().get("product"));
            // Where nothing listened, bin/test put the embedded Qpid Broker-J on 5672: it ignores the quorum
            // arguments, so an old classic queue simply goes on working there (attempts counted in a header).
            Assumptions.assumeTrue("RabbitMQ".equals(product), () -> "the refused upgrade is"
                    + " RabbitMQ's (a queue's type cannot change in place); the broker on 5672 is '" + product
                    + "', which accepts the old queue as it is");
            try {
                try (Channel channel = admin.createChannel()) {
                    channel.queueDeclare(topology.workQueue(), true, false, false, Map.of()); // the old declaration
                    channel.basicPublish("", topology.workQueue(), null, FINE);
                }
                RefusedDeclarationException refused = assertThrows(RefusedDeclarationException.class,
                        () -> TopologyDeclarer.declare(admin, topology.startupOf(Role.GENERATOR)));
                String message = refused.getMessage();
                assertTrue(message.startsWith("The broker already has a queue " + topology.workQueue()
                        + " declared differently from what this version declares (durable quorum queue with"), message);
                assertTrue(message.contains("x-queue-type"), "names the argument that differs: " + message);
                assertTrue(message.contains("stop the gateways, let the old generators finish what is queued and stop"
                        + " them, delete the queue and start again, or set t2i.messaging.prefix to a new prefix"),
                        message);
                // A gateway declares through its subscriptions, which retry an absent broker but not this.
                RecoveringSubscription gateway = new RecoveringSubscription(settings, "upgrade-test-gateway",
                        channel -> TopologyDeclarer.declare(channel, topology.startupOf(Role.GATEWAY)));
                IllegalStateException startFailed = assertThrows(IllegalStateException.class, gateway::start);
                gateway.close();
                assertEquals(message, startFailed.getMessage());
                try (Channel channel = admin.createChannel()) {
                    assertEquals(1, channel.queueDeclarePassive(topology.workQueue()).getMessageCount(),
                            "the old queue and its job are untouched");
                }
                System.out.println("Refused: " + message);
            } finally {
                TopologyDeclarer.delete(admin, List.of(topology.startupOf(Role.GENERATOR)));
            }
        } catch (TestAbortedException skipped) {
            throw skipped;
        } catch (RuntimeException e) {
            fail(e);
        }
    }
}
