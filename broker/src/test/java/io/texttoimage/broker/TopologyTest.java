package io.texttoimage.broker;

import com.rabbitmq.client.BuiltinExchangeType;
import io.texttoimage.broker.Declaration.Binding;
import io.texttoimage.broker.Declaration.Exchange;
import io.texttoimage.broker.Declaration.Queue;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

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
        assertEquals("t2i.workers", topology.workersExchange());
        assertEquals("t2i-test.workers.gateway-pod-1", new Topology("t2i-test").workersQueue("pod-1").queue().name());
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
        // A generator of an older version, with the classic work queue of before.
        declarations.add(new Declaration(List.of(), List.of(Queue.durable(topology.workQueue())), List.of()));
        List<String> disagreements = TopologyAgreement.disagreements(declarations);
        assertEquals(2, disagreements.size(), disagreements.toString());
        assertTrue(disagreements.stream().anyMatch(line -> line.startsWith("exchange t2i.image-store is declared as")
                && line.contains("FANOUT") && line.contains("TOPIC")), disagreements.toString());
        assertTrue(disagreements.stream().anyMatch(line -> line.startsWith("queue t2i.generation-requests is declared"
                + " as") && line.contains("x-queue-type=quorum")), disagreements.toString());
    }

    @Test
    void aGeneratorConfiguredWithAnotherMaximumOfAttemptsDisagrees() {
        List<Declaration> declarations = new ArrayList<>(everyDeclaration(topology));
        declarations.add(new Topology(Topology.DEFAULT_PREFIX, 5).startupOf(Role.GENERATOR));
        List<String> disagreements = TopologyAgreement.disagreements(declarations);
        assertEquals(1, disagreements.size(), disagreements.toString());
        assertTrue(disagreements.getFirst().contains("x-delivery-limit=4"), disagreements.toString());
    }

    @Test
    void theWorkQueueIsAQuorumQueueThatDeadLettersAJobAfterItsLastAttempt() {
        Queue workQueue = topology.startupOf(Role.GENERATOR).queues().stream()
                .filter(queue -> queue.name().equals(topology.workQueue())).findFirst().orElseThrow();
        assertEquals(Map.of("x-queue-type", "quorum", "x-delivery-limit", 2,
                "x-dead-letter-exchange", "t2i.dead-letters", "x-dead-letter-strategy", "at-least-once",
                "x-overflow", "reject-publish"), workQueue.arguments());
        assertEquals(3, topology.maxAttempts());
        assertEquals("t2i.generation-requests.dead-letters", topology.deadLetterQueue());
        for (Role role : List.of(Role.GATEWAY, Role.GENERATOR)) {
            assertTrue(topology.startupOf(role).bindings().stream().anyMatch(binding -> binding.queue().name()
                    .equals(topology.deadLetterQueue()) && binding.exchange().name().equals(
                    topology.deadLetterExchange())), role + " declares where the work queue's dead letters go");
        }
    }

    @Test
    void theMaximumOfAttemptsIsReadFromTheConfiguration() {
        assertEquals(5, Topology.read(key -> Optional.ofNullable(Map.of(Topology.MAX_ATTEMPTS_KEY, "5").get(key)))
                .maxAttempts());
        assertEquals(3, Topology.read(key -> Optional.empty()).maxAttempts());
        assertEquals("t2i.messaging.max-attempts must be at least 1, not 0.", assertThrows(
                IllegalArgumentException.class, () -> new Topology("t2i", 0)).getMessage());
        assertEquals("t2i.messaging.max-attempts must be a whole number, not 'three'.", assertThrows(
                IllegalArgumentException.class, () -> Topology.read(key -> Optional.ofNullable(
                        Map.of(Topology.MAX_ATTEMPTS_KEY, "three").get(key)))).getMessage());
    }

    @Test
    void theSharedQueuesAreDurableAndEachProcesssOwnQueuesAreExclusive() {
        for (Role role : Role.values()) {
            topology.startupOf(role).queues().forEach(queue -> {
                assertTrue(queue.durable() && !queue.exclusive() && !queue.autoDelete(), queue.toString());
            });
        }
        assertEquals(Queue.exclusive(""), topology.cancelQueue().queue());
        assertEquals(Queue.exclusive(""), topology.imageStoredQueue().queue());
        assertTrue(topology.liveEventsQueue("a").queue().exclusive());
        assertTrue(topology.workersQueue("a").queue().exclusive() && topology.workersQueue("a").queue().autoDelete());
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
