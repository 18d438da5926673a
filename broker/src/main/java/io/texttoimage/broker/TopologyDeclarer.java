package io.texttoimage.broker;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ShutdownSignalException;
import io.texttoimage.broker.Declaration.Binding;
import io.texttoimage.broker.Declaration.Exchange;
import io.texttoimage.broker.Declaration.Queue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.SequencedSet;
import java.util.concurrent.TimeoutException;

/**
 * Applies {@link Declaration}s: the only code that declares exchanges, queues and bindings. Declaring is idempotent
 * when every party declares a name the same way, which {@link Topology} guarantees, so whoever starts first creates
 * a name and the others find it.
 */
public final class TopologyDeclarer {
    private static final int NOT_FOUND = 404;
    private static final int PRECONDITION_FAILED = 406;

    private TopologyDeclarer() {
    }

    /**
     * Declares the exchanges, then the queues, then the bindings. On a broker that refuses a declaration (it holds
     * the name with other properties) the channel is closed and an {@link IOException} says why: a
     * {@link RefusedDeclarationException} telling the operator what to do when it is a queue declared differently
     * (an older version's classic work queue, say).
     *
     * @return the names of the queues in declaration order: the broker's choice for a server-named one
     */
    public static List<String> declare(Channel channel, Declaration declaration) throws IOException {
        for (Exchange exchange : declaration.exchanges()) {
            channel.exchangeDeclare(exchange.name(), exchange.type(), exchange.durable(), false, exchange.arguments());
        }
        Map<Queue, String> names = new HashMap<>();
        for (Queue queue : declaration.queues()) {
            names.put(queue, declareQueue(channel, queue));
        }
        for (Binding binding : declaration.bindings()) {
            channel.queueBind(names.get(binding.queue()), binding.exchange().name(), binding.routingKey());
        }
        return declaration.queues().stream().map(names::get).toList();
    }

    private static String declareQueue(Channel channel, Queue queue) throws IOException {
        try {
            return channel.queueDeclare(queue.name(), queue.durable(), queue.exclusive(), queue.autoDelete(),
                    queue.arguments()).getQueue();
        } catch (IOException e) {
            if (replyCode(e) == PRECONDITION_FAILED) {
                throw new RefusedDeclarationException(refusal(queue, e), e);
            }
            throw e;
        }
    }

    /**
     * One sentence for the operator. The usual case is an upgrade: a queue's type and arguments cannot change in
     * place (RabbitMQ keeps a classic queue classic), so the old queue has to go, or the deployment moves to new names.
     */
    private static String refusal(Queue queue, IOException e) {
        String broker = e.getCause() instanceof ShutdownSignalException signal
                && signal.getReason() instanceof AMQP.Channel.Close close ? close.getReplyText() : e.getMessage();
        return "The broker already has a queue " + queue.name() + " declared differently from what this version"
                + " declares (" + describe(queue) + "; the broker said: " + broker + "), and a queue's type and"
                + " arguments cannot change in place: stop the gateways, let the old generators finish what is queued"
                + " and stop them, delete the queue and start again, or set " + Topology.PREFIX_KEY
                + " to a new prefix (docs/gateway-api.md,"
                + " \"Upgrading the job queue\").";
    }

    private static String describe(Queue queue) {
        Object type = queue.arguments().getOrDefault(Queue.QUEUE_TYPE, "classic");
        return (queue.durable() ? "durable " : "") + type + " queue" + (queue.arguments().isEmpty() ? ""
                : " with " + new java.util.TreeMap<>(queue.arguments()));
    }

    private static int replyCode(IOException e) {
        return e.getCause() instanceof ShutdownSignalException signal
                && signal.getReason() instanceof AMQP.Channel.Close close ? close.getReplyCode() : -1;
    }

    /** Declares a consumer's own queue and its bindings; returns the queue's name. */
    public static String declareQueue(Channel channel, Declaration ownQueue) throws IOException {
        ownQueue.queue(); // exactly one
        return declare(channel, ownQueue).getFirst();
    }

    /**
     * Declares on a channel of its own that stays open for the connection's life. On a connection with topology
     * recovery the client records each declaration with the channel it was made on and repeats it there after a
     * reconnect; a channel the application has closed cannot repeat anything (the recovery logs an ERROR with a
     * stack trace per name, "channel is already closed due to clean channel shutdown", and a broker that lost its
     * data is left without the names). Found by killing RabbitMQ under a running stack: the generator and the
     * storage adapter, which declared on a short-lived channel, logged eleven such errors per outage.
     */
    public static void declare(Connection connection, Declaration declaration) throws IOException {
        Channel channel = connection.createChannel();
        try {
            declare(channel, declaration);
        } catch (IOException | RuntimeException e) {
            if (channel.isOpen()) {
                try {
                    channel.close();
                } catch (IOException | TimeoutException | RuntimeException closing) {
                    e.addSuppressed(closing);
                }
            }
            throw e;
        }
    }

    /**
     * Deletes the shared queues and the exchanges of the declarations, each name once; names that are not there
     * are skipped. For tests and benchmarks that ran under a prefix of their own: nothing of theirs stays behind on
     * a shared broker. Exclusive queues are left alone: they go with the connection that declared them.
     *
     * @throws IOException naming what could not be deleted (after trying everything else)
     */
    public static void delete(Connection connection, Collection<Declaration> declarations) throws IOException {
        SequencedSet<String> queues = new LinkedHashSet<>();
        SequencedSet<String> exchanges = new LinkedHashSet<>();
        for (Declaration declaration : declarations) {
            declaration.queues().stream().filter(queue -> !queue.exclusive()).forEach(queue -> queues.add(queue.name()));
            declaration.exchanges().forEach(exchange -> exchanges.add(exchange.name()));
        }
        List<String> failures = new ArrayList<>();
        for (String queue : queues) {
            deleteOne(connection, "queue " + queue, channel -> channel.queueDelete(queue), failures);
        }
        for (String exchange : exchanges) {
            deleteOne(connection, "exchange " + exchange, channel -> channel.exchangeDelete(exchange), failures);
        }
        if (!failures.isEmpty()) {
            throw new IOException("Could not delete " + String.join(", ", failures));
        }
    }

    private interface ChannelAction {
        void run(Channel channel) throws IOException;
    }

    /** On a channel of its own: a broker that answers NOT_FOUND (Qpid does) closes the channel. */
    private static void deleteOne(Connection connection, String what, ChannelAction delete, List<String> failures) {
        try (Channel channel = connection.createChannel()) {
            delete.run(channel);
        } catch (IOException e) {
            if (!isNotFound(e)) {
                failures.add(what + " (" + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()) + ")");
            }
        } catch (ShutdownSignalException | TimeoutException e) {
            // the channel was already closed by the broker's answer to the delete
        }
    }

    private static boolean isNotFound(IOException e) {
        return replyCode(e) == NOT_FOUND;
    }
}
