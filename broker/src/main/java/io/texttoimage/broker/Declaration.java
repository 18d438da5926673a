package io.texttoimage.broker;

import com.rabbitmq.client.BuiltinExchangeType;

import java.util.List;
import java.util.Map;

/**
 * Exchanges, queues and bindings that one party declares, as data: {@link TopologyDeclarer} applies it, and a test
 * can compare what two parties declare under the same name (the broker refuses the second declaration with
 * PRECONDITION_FAILED when they disagree). Every binding refers to an exchange and a queue of the same declaration,
 * so a declaration can always be applied on its own.
 */
public record Declaration(List<Exchange> exchanges, List<Queue> queues, List<Binding> bindings) {

    /** Exchanges are never auto-deleted: they outlive every service that declares them. */
    public record Exchange(String name, BuiltinExchangeType type, boolean durable, Map<String, Object> arguments) {
        public Exchange {
            arguments = Map.copyOf(arguments);
        }

        static Exchange durable(String name, BuiltinExchangeType type) {
            return new Exchange(name, type, true, Map.of());
        }
    }

    /** A queue; an empty name lets the broker choose one (it is then exclusive to the declaring connection). */
    public record Queue(String name, boolean durable, boolean exclusive, boolean autoDelete,
                        Map<String, Object> arguments) {
        /** The queue argument that chooses RabbitMQ's queue type; it cannot change once the queue exists. */
        public static final String QUEUE_TYPE = "x-queue-type";

        public Queue {
            arguments = Map.copyOf(arguments);
        }

        /** Shared by all replicas of a service, survives broker restarts (with persistent messages). */
        static Queue durable(String name) {
            return new Queue(name, true, false, false, Map.of());
        }

        /**
         * A replicated durable queue (RabbitMQ's quorum type: {@code x-queue-type=quorum}) with the given
         * arguments. A broker without queue types (Qpid Broker-J) ignores the RabbitMQ-only arguments and keeps it
         * durable.
         */
        static Queue quorum(String name, Map<String, Object> arguments) {
            Map<String, Object> all = new java.util.LinkedHashMap<>(arguments);
            all.put(QUEUE_TYPE, "quorum");
            return new Queue(name, true, false, false, all);
        }

        /** One process's own queue: gone with its connection. */
        static Queue exclusive(String name) {
            return new Queue(name, false, true, true, Map.of());
        }

        public boolean serverNamed() {
            return name.isEmpty();
        }
    }

    public record Binding(Exchange exchange, Queue queue, String routingKey) {
    }

    public Declaration {
        exchanges = List.copyOf(exchanges);
        queues = List.copyOf(queues);
        bindings = List.copyOf(bindings);
        for (Binding binding : bindings) {
            if (!exchanges.contains(binding.exchange()) || !queues.contains(binding.queue())) {
                throw new IllegalArgumentException("The binding " + binding + " refers to an exchange or a queue"
                        + " that this declaration does not declare.");
            }
        }
        if (queues.stream().filter(Queue::serverNamed).count() > 1) {
            // Bindings name their queue by spec; two server-named queues would be indistinguishable.
            throw new IllegalArgumentException("A declaration can hold at most one server-named queue.");
        }
    }

    /** The one queue of a consumer's own declaration. */
    public Queue queue() {
        if (queues.size() != 1) {
            throw new IllegalStateException("This declaration has " + queues.size() + " queues, not one.");
        }
        return queues.getFirst();
    }
}
