package io.texttoimage.e2e.servers;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import com.rabbitmq.client.MessageProperties;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A private node keeps a durable quorum queue and its persistent message through a SIGKILL and a restart, and one
 * whose start timed out is still found and killed by close.
 */
class RabbitNodeTest {

    @Test
    void closeKillsTheNodeOfAStartThatTimedOut(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(RabbitNode.available(), "no Debian rabbitmq-server on this machine");
        RabbitNode node = RabbitNode.onLoopback(dir);
        long pid = -1;
        try {
            // no node answers at once: the start times out before it has learnt the VM's pid
            assertThrows(IllegalStateException.class, () -> node.start(Duration.ZERO));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while ((pid = node.beamPid()) <= 0 && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertTrue(pid > 0, "the VM of the timed-out start is found by its node name");
        } finally {
            long closing = System.nanoTime();
            node.close();
            System.out.printf("close took %d ms%n", Duration.ofNanos(System.nanoTime() - closing).toMillis());
        }
        long killed = pid;
        assertFalse(ProcessHandle.of(killed).map(ProcessHandle::isAlive).orElse(false), "close killed the VM");
        assertEquals(-1, node.beamPid());
    }

    @Test
    void durableQueueAndPersistentMessageSurviveKill9AndRestart(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(RabbitNode.available(), "no Debian rabbitmq-server on this machine");
        try (RabbitNode node = RabbitNode.onLoopback(dir).start()) {
            assertTrue(node.beamPid() > 0, "the node's own beam.smp pid is known");
            try (Connection connection = node.connectionFactory().newConnection("rabbit-node-test")) {
                Channel channel = connection.createChannel();
                channel.queueDeclare("jobs", true, false, false, Map.of("x-queue-type", "quorum"));
            }
            // a queue declared moments before a SIGKILL may lose its Raft registration (see RabbitNode): as in
            // production, the queue exists from an earlier run of the node
            node.stop();
            node.start();
            try (Connection connection = node.connectionFactory().newConnection("rabbit-node-test")) {
                Channel channel = connection.createChannel();
                channel.confirmSelect();
                channel.basicPublish("", "jobs", MessageProperties.PERSISTENT_BASIC,
                        "job-1".getBytes(StandardCharsets.UTF_8));
                channel.waitForConfirmsOrDie(10_000);
            }

            long firstPid = node.beamPid();
            node.kill9();
            assertFalse(ProcessHandle.of(firstPid).map(ProcessHandle::isAlive).orElse(false), "the VM is gone");
            assertEquals(-1, node.beamPid());

            node.restart();
            assertTrue(node.beamPid() > 0 && node.beamPid() != firstPid, "a new VM runs");
            try (Connection connection = node.connectionFactory().newConnection("rabbit-node-test")) {
                Channel channel = connection.createChannel();
                GetResponse message = getWithin(channel, "jobs", 20_000);
                assertNotNull(message, "the persistent message survived\n" + node.logTail());
                assertEquals("job-1", new String(message.getBody(), StandardCharsets.UTF_8));
                AMQP.Queue.DeclareOk queue = channel.queueDeclarePassive("jobs");
                assertEquals(0, queue.getMessageCount());
            }
        }
    }

    /** A quorum queue becomes available a moment after the node accepts connections (its Raft member restarts). */
    private static GetResponse getWithin(Channel channel, String queue, long millis) throws Exception {
        long deadline = System.currentTimeMillis() + millis;
        while (System.currentTimeMillis() < deadline) {
            GetResponse response = channel.basicGet(queue, true);
            if (response != null) {
                return response;
            }
            Thread.sleep(200);
        }
        return null;
    }
}
