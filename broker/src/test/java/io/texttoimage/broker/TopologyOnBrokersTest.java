package io.texttoimage.broker;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.AlreadyClosedException;
import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import com.rabbitmq.client.ShutdownSignalException;
import io.texttoimage.contracts.JobEvent;
import io.texttoimage.contracts.JobEventType;
import io.texttoimage.contracts.JobPreview;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every role declares its whole topology on a real broker, in every start order (all 6 orders of the 3 roles), on
 * the broker at 127.0.0.1:5672 (RabbitMQ; bin/test puts Qpid there on a machine without one) and on the embedded
 * Qpid Broker-J the local stack runs. Each order runs under a prefix of its own and deletes everything it declared
 * afterwards. A declaration the broker refuses (PRECONDITION_FAILED: a name declared differently before) fails the
 * order it happened in; after all roles, a message published the way each publisher publishes must reach every
 * queue bound for it.
 */
class TopologyOnBrokersTest extends OnBothBrokers {
    private static final int NOT_FOUND = 404;
    private static final int PRECONDITION_FAILED = 406;
    private static final int NOT_ALLOWED = 530;

    static Stream<Arguments> brokersAndStartOrders() {
        List<List<Role>> orders = permutations(List.of(Role.values()));
        assertEquals(6, orders.size());
        return Stream.of(PORT_5672, EMBEDDED_QPID)
                .flatMap(broker -> orders.stream().map(order -> Arguments.of(broker, order)));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("brokersAndStartOrders")
    void everyStartOrderIsAcceptedAndEveryPublicationRoutes(String brokerName, List<Role> order) throws Exception {
        Topology topology = new Topology("t2i-topology-test-" + UUID.randomUUID().toString().substring(0, 8));
        try (Connection connection = broker(brokerName).connectionFactory().newConnection("topology-test")) {
            try {
                Map<Declaration, String> ownQueues = declareInOrder(connection, topology, order);
                assertEveryPublicationRoutes(connection, topology, ownQueues);
            } finally {
                TopologyDeclarer.delete(connection, startupDeclarations(topology));
            }
            assertNothingLeft(connection, topology);
        }
    }

    static Stream<String> brokers() {
        return Stream.of(PORT_5672, EMBEDDED_QPID);
    }

    /**
     * What the agreement check guards against, shown on the broker itself: RabbitMQ closes the channel with
     * PRECONDITION_FAILED, Qpid Broker-J closes the whole connection with NOT_ALLOWED.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("brokers")
    void theBrokerRefusesANameDeclaredDifferently(String brokerName) throws Exception {
        Topology topology = new Topology("t2i-topology-test-" + UUID.randomUUID().toString().substring(0, 8));
        Declaration gateway = topology.startupOf(Role.GATEWAY);
        Declaration requestsAsFanout = new Declaration(List.of(new Declaration.Exchange(topology.requestsExchange(),
                BuiltinExchangeType.FANOUT, true, Map.of())), List.of(), List.of());
        try (Connection connection = broker(brokerName).connectionFactory().newConnection("topology-test")) {
            try {
                TopologyDeclarer.declare(connection, gateway);
                try (Connection other = broker(brokerName).connectionFactory().newConnection("topology-test")) {
                    IOException refused = assertThrows(IOException.class,
                            () -> TopologyDeclarer.declare(other, requestsAsFanout));
                    assertTrue(List.of(PRECONDITION_FAILED, NOT_ALLOWED).contains(replyCode(refused)),
                            String.valueOf(refused.getCause()));
                } catch (AlreadyClosedException closedByTheBroker) {
                    // Qpid closed that connection already
                }
            } finally {
                TopologyDeclarer.delete(connection, List.of(gateway));
            }
        }
    }

    /** Declares each role's start-up topology and its own queues, on a fresh channel per declaration. */
    private static Map<Declaration, String> declareInOrder(Connection connection, Topology topology,
                                                           List<Role> order) throws IOException {
        Map<Declaration, String> ownQueues = new LinkedHashMap<>();
        List<Role> before = new ArrayList<>();
        for (Role role : order) {
            for (Declaration declaration : topology.everythingOf(role, "test-instance")) {
                try (Channel channel = connection.createChannel()) {
                    List<String> queues = TopologyDeclarer.declare(channel, declaration);
                    if (declaration.queues().size() == 1 && declaration.queue().exclusive()) {
                        ownQueues.put(declaration, queues.getFirst());
                    }
                } catch (IOException | TimeoutException e) {
                    fail("The broker refused the " + role + " declarations after " + before + ": "
                            + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()));
                }
            }
            before.add(role);
        }
        return ownQueues;
    }

    private static void assertEveryPublicationRoutes(Connection connection, Topology topology,
                                                     Map<Declaration, String> ownQueues) throws Exception {
        String liveQueue = ownQueues.get(topology.liveEventsQueue("test-instance"));
        String cancelQueue = ownQueues.get(topology.cancelQueue());
        String imageStoredQueue = ownQueues.get(topology.imageStoredQueue());
        String workersQueue = ownQueues.get(topology.workersQueue("test-instance"));
        try (Channel channel = connection.createChannel()) {
            channel.confirmSelect();
            assertRoutes(channel, topology.requestsExchange(), Topology.JOB_ROUTING_KEY, topology.workQueue());
            assertRoutes(channel, topology.deadLetterExchange(), Topology.JOB_ROUTING_KEY, topology.deadLetterQueue());
            assertRoutes(channel, topology.controlExchange(), Topology.CANCEL_ROUTING_KEY, cancelQueue);
            for (JobEventType type : JobEventType.values()) {
                assertRoutes(channel, topology.jobEventsExchange(), routingKeyOf(type), topology.persistQueue(),
                        liveQueue);
            }
            // Previews reach the replicas' live queues and never the persist queue (nor the database behind it).
            assertRoutes(channel, topology.jobEventsExchange(), JobPreview.ROUTING_KEY, liveQueue);
            Thread.sleep(100);
            assertNull(channel.basicGet(topology.persistQueue(), true), "a preview reached the persist queue");
            assertRoutes(channel, topology.imageStoreExchange(), Topology.STORE_IMAGE_ROUTING_KEY,
                    topology.imageStoreQueue());
            assertRoutes(channel, topology.imageStoredExchange(), Topology.IMAGE_STORED_ROUTING_KEY,
                    imageStoredQueue);
            assertRoutes(channel, topology.workersExchange(), Topology.HEARTBEAT_ROUTING_KEY, workersQueue);
        }
    }

    /** Publishes one message and takes it from each queue; mandatory, so an unroutable one fails the confirm. */
    private static void assertRoutes(Channel channel, String exchange, String routingKey, String... queues)
            throws Exception {
        byte[] body = (exchange + " " + routingKey).getBytes(StandardCharsets.UTF_8);
        channel.basicPublish(exchange, routingKey, true, new AMQP.BasicProperties(), body);
        channel.waitForConfirmsOrDie(5_000);
        for (String queue : queues) {
            GetResponse message = awaitMessage(channel, queue);
            assertNotNull(message, exchange + " with key '" + routingKey + "' did not reach " + queue);
            assertArrayEquals(body, message.getBody());
            assertEquals(0, message.getMessageCount(), queue + " got more than the one message");
        }
    }

    private static GetResponse awaitMessage(Channel channel, String queue) throws Exception {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (System.nanoTime() < deadline) {
            GetResponse message = channel.basicGet(queue, true);
            if (message != null) {
                return message;
            }
            Thread.sleep(10);
        }
        return null;
    }

    /** The routing key a generator publishes an event of this type with. */
    private static String routingKeyOf(JobEventType type) {
        return new JobEvent(JobEvent.SCHEMA_VERSION, UUID.randomUUID(), type, 1, 0, 1, "worker", null, null, null,
                null, null, Instant.now()).routingKey();
    }

    private static void assertNothingLeft(Connection connection, Topology topology) throws Exception {
        for (Declaration declaration : startupDeclarations(topology)) {
            for (Declaration.Queue queue : declaration.queues()) {
                assertEquals(NOT_FOUND, replyCode(assertThrows(IOException.class,
                        () -> passively(connection, channel -> channel.queueDeclarePassive(queue.name())))),
                        "queue " + queue.name() + " is still there");
            }
            for (Declaration.Exchange exchange : declaration.exchanges()) {
                assertEquals(NOT_FOUND, replyCode(assertThrows(IOException.class,
                        () -> passively(connection, channel -> channel.exchangeDeclarePassive(exchange.name())))),
                        "exchange " + exchange.name() + " is still there");
            }
        }
    }

    private interface ChannelCall {
        void call(Channel channel) throws IOException;
    }

    private static void passively(Connection connection, ChannelCall call) throws Exception {
        Channel channel = connection.createChannel();
        try {
            call.call(channel);
        } finally {
            if (channel.isOpen()) {
                channel.close();
            }
        }
    }

    private static List<Declaration> startupDeclarations(Topology topology) {
        return Stream.of(Role.values()).map(topology::startupOf).toList();
    }

    /** The broker's reply code, whether it closed the channel or the whole connection. */
    private static int replyCode(IOException e) {
        if (!(e.getCause() instanceof ShutdownSignalException signal)) {
            return fail("not an answer of the broker: " + e);
        }
        return switch (signal.getReason()) {
            case AMQP.Channel.Close close -> close.getReplyCode();
            case AMQP.Connection.Close close -> close.getReplyCode();
            default -> fail("not an answer of the broker: " + signal);
        };
    }

    static List<List<Role>> permutations(List<Role> roles) {
        if (roles.isEmpty()) {
            return List.of(List.of());
        }
        List<List<Role>> all = new ArrayList<>();
        for (Role first : roles) {
            List<Role> rest = new ArrayList<>(roles);
            rest.remove(first);
            for (List<Role> tail : permutations(rest)) {
                List<Role> order = new ArrayList<>();
                order.add(first);
                order.addAll(tail);
                all.add(List.copyOf(order));
            }
        }
        return all;
    }
}
