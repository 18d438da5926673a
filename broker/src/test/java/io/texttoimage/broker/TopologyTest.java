package io.texttoimage.broker;

import com.rabbitmq.client.BuiltinExchangeType;
import io.texttoimage.broker.Declaration.Binding;
import io.texttoimage.broker.Declaration.Exchange;
import io.texttoimage.broker.Declaration.Queue;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The topology as data, without a broker (the broker's verdict is {@link TopologyOnBrokersTest}). */
class TopologyTest {
    private final Topology topology = new Topology(Topology.DEFAULT_PREFIX);

    @Test
    void everyNameCarriesThePrefix() {
        assertEquals("t2i.generation-requests", topology.requestsExchange());
        assertEquals("t2i.generation-requests", topology.workQueue());
        assertEquals("t2i.control", topology.controlExchange());
        assertEquals("t2i.job-events", topology.jobEventsExchange());
        assertEquals("t2i.job-events.persist", topology.persistQueue());
        assertEquals("t2i.image-store", topology.imageStoreExchange());
        assertEquals("t2i.image-store", topology.imageStoreQueue());
        assertEquals("t2i.image-stored", topology.imageStoredExchange());
        assertEquals("t2i-test.job-events.gateway-pod-1",
                new Topology("t2i-test").liveEventsQueue("pod-1").queue().name());
    }

    @Test
    void allRolesDeclareEachNameTheSameWay() {
        assertEquals(List.of(), TopologyAgreement.disagreements(everyDeclaration(topology)));
    }

    @Test
    void theComparisonCatchesARoleThatDeclaresANameDifferently() {
        List<Declaration> declarations = new ArrayList<>(everyDeclaration(topology));
        // A storage adapter that thought the image-store exchange was a fanout.
        declarations.add(new Declaration(List.of(new Exchange(topology.imageStoreExchange(), BuiltinExchangeType.FANOUT,
                true, Map.of())), List.of(), List.of()));
        // A generator that made the work queue a quorum queue on its own.
        declarations.add(new Declaration(List.of(), List.of(new Queue(topology.workQueue(), true, false, false,
                Map.of("x-queue-type", "quorum"))), List.of()));
        List<String> disagreements = TopologyAgreement.disagreements(declarations);
        assertEquals(2, disagreements.size(), disagreements.toString());
        assertTrue(disagreements.stream().anyMatch(line -> line.startsWith("exchange t2i.image-store is declared as")
                && line.contains("FANOUT") && line.contains("TOPIC")), disagreements.toString());
        assertTrue(disagreements.stream().anyMatch(line -> line.startsWith("queue t2i.generation-requests is declared"
                + " as") && line.contains("x-queue-type=quorum")), disagreements.toString());
    }

    @Test
    void theSharedQueuesAreDurableAndEachProcesssOwnQueuesAreExclusive() {
        for (Role role : Role.values()) {
            topology.startupOf(role).queues().forEach(queue -> assertEquals(Queue.durable(queue.name()), queue));
        }
        assertEquals(Queue.exclusive(""), topology.cancelQueue().queue());
        assertEquals(Queue.exclusive(""), topology.imageStoredQueue().queue());
        assertTrue(topology.liveEventsQueue("a").queue().exclusive());
    }

    @Test
    void theGatewayDeclaresTheWorkQueueSoJobsWaitForTheFirstGenerator() {
        Declaration gateway = topology.startupOf(Role.GATEWAY);
        assertTrue(gateway.bindings().stream().anyMatch(binding -> binding.queue().name().equals(topology.workQueue())
                && binding.exchange().name().equals(topology.requestsExchange())));
    }

    @Test
    void aDeclarationMustDeclareWhatItsBindingsUse() {
        Exchange exchange = Exchange.durable("t2i.x", BuiltinExchangeType.TOPIC);
        Queue queue = Queue.durable("t2i.q");
        assertThrows(IllegalArgumentException.class,
                () -> new Declaration(List.of(), List.of(queue), List.of(new Binding(exchange, queue, "#"))));
        assertThrows(IllegalArgumentException.class,
                () -> new Declaration(List.of(), List.of(Queue.exclusive(""), Queue.exclusive("")), List.of()));
        assertThrows(IllegalArgumentException.class, () -> new Topology(" "));
    }

    static List<Declaration> everyDeclaration(Topology topology) {
        List<Declaration> all = new ArrayList<>();
        for (Role role : Role.values()) {
            all.addAll(topology.everythingOf(role, "test-instance"));
        }
        return all;
    }
}
