package io.texttoimage.broker;

import io.texttoimage.broker.Declaration.Binding;
import io.texttoimage.broker.Declaration.Exchange;
import io.texttoimage.broker.Declaration.Queue;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

import static com.rabbitmq.client.BuiltinExchangeType.FANOUT;
import static com.rabbitmq.client.BuiltinExchangeType.TOPIC;

/**
 * Every exchange, queue and binding of one deployment, and what each {@link Role} declares. Each name is
 * {@code <prefix>.<suffix>}; the prefix ({@code t2i.messaging.prefix}, default {@code t2i}) lets several stacks, or
 * test runs, share one broker without stealing each other's messages.
 *
 * <pre>
 * gateway --GenerationRequested--> [generation-requests, topic] --#--> generation-requests (quorum work queue, prefetch 1 per generator)
 * generation-requests --a job past its last attempt--> [dead-letters, fanout] --> generation-requests.dead-letters (quorum, shared by gateways)
 * gateway --CancelRequested--> [control, fanout] --> one exclusive queue per generator
 * generator --JobEvent "job.&lt;type&gt;"--> [job-events, topic] --job.#--> job-events.persist (durable, shared by gateways: the DB writer)
 *                                                            \--job.#--> job-events.gateway-&lt;instance&gt; (exclusive, one per gateway: SSE)
 * generator --JobPreview "preview.image" (transient)--> [job-events] --preview.#--> job-events.gateway-&lt;instance&gt; only
 *                                                       (never the persist queue: previews are streamed, not stored)
 * generator --StoreImage (PNG body)--> [image-store, topic] --#--> image-store (durable, shared by storage adapters)
 * storage adapter --ImageStored--> [image-stored, fanout] --> one exclusive queue per generator
 * generator --WorkerHeartbeat (transient, expires)--> [workers, fanout] --> workers.gateway-&lt;instance&gt; (exclusive,
 *                                                                         one per gateway: the live-worker registry)
 * </pre>
 *
 * Each exchange and queue is specified once here and every role uses that one specification, so two roles cannot
 * declare the same name differently. Queue arguments (a queue type, a delivery limit, a dead-letter exchange) are
 * added to the specification and so reach every role at once.
 *
 * <p>Attempts at a job are bounded ({@link #MAX_ATTEMPTS_KEY}, default 3). The work queue is a quorum queue whose
 * {@code x-delivery-limit} is one less than that (RabbitMQ counts redeliveries, not deliveries) and whose
 * dead-letter exchange takes a job after its last attempt, at least once ({@code x-dead-letter-strategy}, which
 * needs {@code x-overflow=reject-publish}). A broker that ignores these arguments (the embedded Qpid Broker-J) is
 * covered by {@link JobAttempts}, which counts in a header instead. Every process that declares the work queue must
 * be configured with the same maximum: RabbitMQ refuses a second declaration with another delivery limit.
 */
public final class Topology {
    /** Configuration key of the prefix. */
    public static final String PREFIX_KEY = "t2i.messaging.prefix";
    public static final String DEFAULT_PREFIX = "t2i";
    /** Configuration key of the most attempts at one job (the first run included) before it is dead-lettered. */
    public static final String MAX_ATTEMPTS_KEY = "t2i.messaging.max-attempts";
    public static final int DEFAULT_MAX_ATTEMPTS = 3;
    /** RabbitMQ's quorum-queue arguments of the work queue. */
    static final String DELIVERY_LIMIT = "x-delivery-limit";
    static final String DEAD_LETTER_EXCHANGE = "x-dead-letter-exchange";
    static final String DEAD_LETTER_STRATEGY = "x-dead-letter-strategy";
    static final String OVERFLOW = "x-overflow";

    /** Routing key of a job on the requests exchange (the work queue takes every key). */
    public static final String JOB_ROUTING_KEY = "generation.requested";
    /** Routing key of a cancel on the control fanout (ignored by a fanout; named for the logs). */
    public static final String CANCEL_ROUTING_KEY = "cancel";
    /** Routing key of a StoreImage message (the image-store queue takes every key). */
    public static final String STORE_IMAGE_ROUTING_KEY = "image";
    /** Routing key of a WorkerHeartbeat on its fanout (ignored by a fanout; named for the logs). */
    public static final String HEARTBEAT_ROUTING_KEY = "heartbeat";
    /** Routing key of an ImageStored notification on its fanout. */
    public static final String IMAGE_STORED_ROUTING_KEY = "";
    /** Binding of the job-event queues: every {@code JobEvent.routingKey()} is {@code job.<type>}. */
    static final String ALL_JOB_EVENTS = "job.#";
    /** Binding of the live queues only: every {@code JobPreview.ROUTING_KEY} is {@code preview.<kind>}. */
    static final String ALL_PREVIEWS = "preview.#";
    private static final String EVERY_KEY = "#";
    private static final String FANOUT_KEY = "";

    private final String prefix;
    private final Exchange requests;
    private final Queue workQueue;
    private final Exchange control;
    private final Exchange jobEvents;
    private final Queue persistQueue;
    private final Exchange imageStore;
    private final Queue imageStoreQueue;
    private final Exchange imageStored;
    private final int maxAttempts;
    private final Exchange deadLetters;
    private final Queue deadLetterQueue;
    private final Exchange workers;

    /** The topology of a prefix with the default maximum of attempts. */
    public Topology(String prefix) {
        this(prefix, DEFAULT_MAX_ATTEMPTS);
    }

    public Topology(String prefix, int maxAttempts) {
        if (prefix == null || prefix.isBlank()) {
            throw new IllegalArgumentException(PREFIX_KEY + " must not be empty.");
        }
        if (maxAttempts < 1) {
            throw new IllegalArgumentException(MAX_ATTEMPTS_KEY + " must be at least 1, not " + maxAttempts + ".");
        }
        this.prefix = prefix;
        this.maxAttempts = maxAttempts;
        requests = Exchange.durable(name("generation-requests"), TOPIC);
        deadLetters = Exchange.durable(name("dead-letters"), FANOUT);
        workQueue = Queue.quorum(name("generation-requests"), Map.of(
                DELIVERY_LIMIT, maxAttempts - 1,
                DEAD_LETTER_EXCHANGE, deadLetters.name(),
                DEAD_LETTER_STRATEGY, "at-least-once",
                OVERFLOW, "reject-publish"));
        deadLetterQueue = Queue.quorum(name("generation-requests.dead-letters"), Map.of());
        control = Exchange.durable(name("control"), FANOUT);
        jobEvents = Exchange.durable(name("job-events"), TOPIC);
        persistQueue = Queue.durable(name("job-events.persist"));
        imageStore = Exchange.durable(name("image-store"), TOPIC);
        imageStoreQueue = Queue.durable(name("image-store"));
        imageStored = Exchange.durable(name("image-stored"), FANOUT);
        workers = Exchange.durable(name("workers"), FANOUT);
    }

    /** The topology a service is configured with ({@link #PREFIX_KEY}, {@link #MAX_ATTEMPTS_KEY}). */
    public static Topology read(Function<String, Optional<String>> config) {
        String maxAttempts = config.apply(MAX_ATTEMPTS_KEY).map(String::strip).orElse("");
        try {
            return new Topology(config.apply(PREFIX_KEY).orElse(DEFAULT_PREFIX),
                    maxAttempts.isEmpty() ? DEFAULT_MAX_ATTEMPTS : Integer.parseInt(maxAttempts));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(MAX_ATTEMPTS_KEY + " must be a whole number, not '" + maxAttempts
                    + "'.");
        }
    }

    public String prefix() {
        return prefix;
    }

    /** The most attempts at one job, its first run included; after the last one the job is dead-lettered. */
    public int maxAttempts() {
        return maxAttempts;
    }

    private String name(String suffix) {
        return prefix + "." + suffix;
    }

    /** Where the gateway publishes jobs ({@link #JOB_ROUTING_KEY}). */
    public String requestsExchange() {
        return requests.name();
    }

    /** The shared durable queue generators take jobs from. */
    public String workQueue() {
        return workQueue.name();
    }

    /** Where a job goes after its last attempt (the work queue's dead-letter exchange). */
    public String deadLetterExchange() {
        return deadLetters.name();
    }

    /** The durable queue of jobs that ran out of attempts, shared by the gateways (which fail them). */
    public String deadLetterQueue() {
        return deadLetterQueue.name();
    }

    /** Where the gateway broadcasts cancels. */
    public String controlExchange() {
        return control.name();
    }

    /** Where generators publish job events. */
    public String jobEventsExchange() {
        return jobEvents.name();
    }

    /** The durable queue shared by all gateways that keeps the database current. */
    public String persistQueue() {
        return persistQueue.name();
    }

    /** Where generators publish StoreImage messages ({@link #STORE_IMAGE_ROUTING_KEY}). */
    public String imageStoreExchange() {
        return imageStore.name();
    }

    /** The shared durable queue storage adapters take images from. */
    public String imageStoreQueue() {
        return imageStoreQueue.name();
    }

    /** Where storage adapters announce stored images. */
    public String imageStoredExchange() {
        return imageStored.name();
    }

    /**
     * Where generators publish their heartbeats. Only gateway replicas' own queues are bound to it, so a heartbeat
     * nobody listens to is dropped at once; publishers send them transient (no expiration:
     * Qpid Broker-J reads AMQP 0-9-1's `expiration` as an absolute time, RabbitMQ as a TTL).
     */
    public String workersExchange() {
        return workers.name();
    }

    /** What a role declares when it starts, before it publishes or consumes. */
    public Declaration startupOf(Role role) {
        return switch (role) {
            // The work queue is the gateway's too: jobs submitted before the first generator starts must not be lost.
            // So is the dead-letter path: whoever declares the work queue declares where its dead letters go.
            case GATEWAY -> new Declaration(List.of(requests, deadLetters, control, jobEvents, workers),
                    List.of(workQueue, deadLetterQueue, persistQueue),
                    List.of(new Binding(requests, workQueue, EVERY_KEY),
                            new Binding(deadLetters, deadLetterQueue, FANOUT_KEY),
                            new Binding(jobEvents, persistQueue, ALL_JOB_EVENTS)));
            // The image-store queue is the generator's too: an image sent before the first adapter starts waits there.
            case GENERATOR -> new Declaration(List.of(requests, deadLetters, jobEvents, control, imageStore,
                    imageStored, workers),
                    List.of(workQueue, deadLetterQueue, imageStoreQueue),
                    List.of(new Binding(requests, workQueue, EVERY_KEY),
                            new Binding(deadLetters, deadLetterQueue, FANOUT_KEY),
                            new Binding(imageStore, imageStoreQueue, EVERY_KEY)));
            case STORAGE_ADAPTER -> new Declaration(List.of(imageStore, imageStored), List.of(imageStoreQueue),
                    List.of(new Binding(imageStore, imageStoreQueue, EVERY_KEY)));
        };
    }

    /** One gateway replica's own queue of every job event and every live preview, for the SSE streams open on it. */
    public Declaration liveEventsQueue(String instanceId) {
        Queue queue = Queue.exclusive(name("job-events.gateway-" + instanceId));
        return new Declaration(List.of(jobEvents), List.of(queue), List.of(
                new Binding(jobEvents, queue, ALL_JOB_EVENTS),
                new Binding(jobEvents, queue, ALL_PREVIEWS)));
    }

    /** One gateway replica's own queue of every worker heartbeat, for its registry of live workers. */
    public Declaration workersQueue(String instanceId) {
        Queue queue = Queue.exclusive(name("workers.gateway-" + instanceId));
        return new Declaration(List.of(workers), List.of(queue), List.of(new Binding(workers, queue, FANOUT_KEY)));
    }

    /** One generator's own (server-named) queue of cancels. */
    public Declaration cancelQueue() {
        return ownQueueOn(control);
    }

    /** One generator's own (server-named) queue of ImageStored notifications. */
    public Declaration imageStoredQueue() {
        return ownQueueOn(imageStored);
    }

    private static Declaration ownQueueOn(Exchange fanout) {
        Queue queue = Queue.exclusive("");
        return new Declaration(List.of(fanout), List.of(queue), List.of(new Binding(fanout, queue, FANOUT_KEY)));
    }

    /** Everything one process of the role declares: at start, then the queues of its own consumers. */
    public List<Declaration> everythingOf(Role role, String instanceId) {
        return switch (role) {
            case GATEWAY -> List.of(startupOf(role), liveEventsQueue(instanceId), workersQueue(instanceId));
            case GENERATOR -> List.of(startupOf(role), cancelQueue(), imageStoredQueue());
            case STORAGE_ADAPTER -> List.of(startupOf(role));
        };
    }
}
