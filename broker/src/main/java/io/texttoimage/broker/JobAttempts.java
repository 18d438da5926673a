package io.texttoimage.broker;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Envelope;

import java.util.HashMap;
import java.util.Map;

/**
 * How many times a job has been tried, and what a worker does with a delivery of it, so that a job whose run kills
 * its worker (a native crash, out of memory) stops after {@link Topology#maxAttempts} attempts instead of taking down
 * every worker in turn. An attempt is a delivery that ended without an acknowledgement (the worker died, lost its
 * connection, or handed the job back when shutting down), plus the delivery being decided on.
 *
 * <p>Two counters, whichever the broker offers:
 * <ul>
 *   <li><b>RabbitMQ</b> (quorum work queue): the broker counts returned deliveries in {@code x-delivery-count} and
 *       dead-letters the job itself past {@code x-delivery-limit}; the worker only reads the count.</li>
 *   <li><b>A broker that does not count</b> (the embedded Qpid Broker-J, which ignores the quorum arguments and
 *       does not count a delivery its consumer died holding; or a classic queue): a redelivered job without
 *       {@code x-delivery-count} is not run. The worker publishes a copy carrying the attempts so far in
 *       {@link #ATTEMPTS_HEADER}, confirmed, and only then acknowledges the delivery; the copy is tried next (at the
 *       back of the queue). Once the attempts reach the maximum, the copy goes to the dead-letter exchange
 *       instead, as RabbitMQ would send it.</li>
 * </ul>
 * Either way a job reaches the dead-letter queue after at most {@code maxAttempts} runs, and a worker that runs one
 * knows which attempt it is.
 */
public final class JobAttempts {
    /** Attempts that ended unacknowledged, counted by workers (on a copy of the job they re-published). */
    public static final String ATTEMPTS_HEADER = "t2i-attempts";
    /** RabbitMQ's count of earlier deliveries that were returned to a quorum queue (absent on the first). */
    static final String DELIVERY_COUNT_HEADER = "x-delivery-count";

    public enum Action {
        /** Run the job: this is attempt {@link Decision#attempt}. */
        RUN,
        /** Publish {@link Decision#properties} with the body to the work queue's exchange, then acknowledge. */
        RECOUNT,
        /** Publish {@link Decision#properties} with the body to the dead-letter exchange, then acknowledge. */
        GIVE_UP
    }

    /**
     * @param attempt    for RUN the number of this attempt (1 for the first); otherwise the attempts that ended
     * @param exchange   where RECOUNT and GIVE_UP publish (null for RUN)
     * @param properties the delivery's properties with the attempts header set (null for RUN)
     */
    public record Decision(Action action, int attempt, String exchange, String routingKey,
                           AMQP.BasicProperties properties) {
    }

    private final Topology topology;

    public JobAttempts(Topology topology) {
        this.topology = topology;
    }

    /** What to do with one delivery from the work queue. */
    public Decision decide(Envelope envelope, AMQP.BasicProperties properties) {
        int counted = header(properties, ATTEMPTS_HEADER);
        boolean brokerCounts = headers(properties).containsKey(DELIVERY_COUNT_HEADER);
        if (!brokerCounts && envelope.isRedeliver()) {
            // The delivery before this one ended unacknowledged, and nobody counted it: count it durably first.
            return passOn(counted + 1, properties);
        }
        int attempt = counted + header(properties, DELIVERY_COUNT_HEADER) + 1;
        if (attempt > topology.maxAttempts()) {
            return passOn(attempt - 1, properties); // a broker that kept redelivering past the limit
        }
        return new Decision(Action.RUN, attempt, null, null, null);
    }

    private Decision passOn(int ended, AMQP.BasicProperties properties) {
        Map<String, Object> headers = new HashMap<>(headers(properties));
        headers.put(ATTEMPTS_HEADER, ended);
        AMQP.BasicProperties counted = properties.builder().headers(headers).build();
        return ended >= topology.maxAttempts()
                ? new Decision(Action.GIVE_UP, ended, topology.deadLetterExchange(), Topology.JOB_ROUTING_KEY, counted)
                : new Decision(Action.RECOUNT, ended, topology.requestsExchange(), Topology.JOB_ROUTING_KEY, counted);
    }

    /**
     * The attempts a dead-lettered job had: counted by workers ({@link #ATTEMPTS_HEADER}), or, when RabbitMQ
     * dead-lettered it past its delivery limit, the maximum.
     */
    public int attemptsOf(AMQP.BasicProperties deadLetter) {
        int counted = header(deadLetter, ATTEMPTS_HEADER);
        return counted > 0 ? counted : topology.maxAttempts();
    }

    private static Map<String, Object> headers(AMQP.BasicProperties properties) {
        return properties == null || properties.getHeaders() == null ? Map.of() : properties.getHeaders();
    }

    private static int header(AMQP.BasicProperties properties, String name) {
        return headers(properties).get(name) instanceof Number number ? number.intValue() : 0;
    }
}
