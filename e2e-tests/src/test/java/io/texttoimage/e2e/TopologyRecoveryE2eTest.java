package io.texttoimage.e2e;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.texttoimage.broker.BrokerSettings;
import io.texttoimage.broker.Role;
import io.texttoimage.broker.Topology;
import io.texttoimage.broker.TopologyDeclarer;
import io.texttoimage.e2e.servers.RabbitNode;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the generator and the storage adapter declare at start-up through {@link TopologyDeclarer#declare(Connection,
 * io.texttoimage.broker.Declaration)} is declared again by the client's recovery after the broker comes back without
 * its data — which needs the declaring channel to stay open (it used to be closed, and the recovery failed for every
 * name).
 */
class TopologyRecoveryE2eTest {

    @Test
    void startupDeclarationsAreRepeatedOnABrokerThatLostItsData(@TempDir Path dir) throws Exception {
        assumeTrue(RabbitNode.available(), "no Debian rabbitmq-server on this machine");
        try (RabbitNode node = RabbitNode.onLoopback(dir).start()) {
            Topology topology = new Topology("t2i-recovery");
            ConnectionFactory factory = BrokerSettings.plain(node.host(), node.port(), "guest", "guest")
                    .connectionFactory();
            factory.setAutomaticRecoveryEnabled(true);
            factory.setTopologyRecoveryEnabled(true);
            factory.setNetworkRecoveryInterval(500);
            try (Connection service = factory.newConnection("recovering-service")) {
                TopologyDeclarer.declare(service, topology.startupOf(Role.GENERATOR));

                node.stop();
                node.wipeData();
                node.start();

                long deadline = System.currentTimeMillis() + 60_000;
                boolean redeclared = false;
                while (!redeclared && System.currentTimeMillis() < deadline) {
                    Thread.sleep(500);
                    try (Connection probe = node.connectionFactory().newConnection("probe")) {
                        probe.createChannel().queueDeclarePassive(topology.workQueue());
                        redeclared = true;
                    } catch (java.io.IOException notYet) {
                        // the queue is not there (yet): the passive declare closed the probe's channel
                    }
                }
                assertTrue(redeclared, topology.workQueue() + " was not declared again after the broker came back"
                        + " empty\n" + node.logTail());
            }
        }
    }
}
