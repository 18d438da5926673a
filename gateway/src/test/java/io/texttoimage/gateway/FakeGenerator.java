package io.texttoimage.gateway;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import io.texttoimage.broker.Declaration;
import io.texttoimage.broker.Role;
import io.texttoimage.broker.Topology;
import io.texttoimage.broker.TopologyDeclarer;
import io.texttoimage.contracts.CancelRequested;
import io.texttoimage.contracts.GenerationRequested;
import io.texttoimage.contracts.JobEvent;
import io.texttoimage.contracts.JobEventType;
import io.texttoimage.contracts.JobPreview;
import io.texttoimage.contracts.PromptTruncation;
import io.texttoimage.contracts.WorkerHeartbeat;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * Plays the generator side over the real broker with the plain RabbitMQ client: takes jobs from the
 * shared work queue, listens to the control exchange and publishes job events to the real exchange.
 */
final class FakeGenerator implements AutoCloseable {
    static final String WORKER = "fake-generator-1";
    private static final ObjectMapper JSON = new ObjectMapper().findAndRegisterModules()
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);

    private final Topology topology;
    private final Connection connection;
    private final Channel channel;
    private final String controlQueue;

    FakeGenerator(String prefix) throws Exception {
        this.topology = new Topology(prefix);
        connection = GatewayTestResources.BROKER.connectionFactory().newConnection("gateway-test-fake-generator");
        channel = connection.createChannel();
        // The generator's own cancel queue, declared as a generator declares it.
        controlQueue = TopologyDeclarer.declareQueue(channel, topology.cancelQueue());
    }

    /** Takes messages from the work queue until the one of {@code jobId} arrives; others are discarded. */
    GenerationRequested takeRequest(UUID jobId, Duration timeout) throws Exception {
        String queue = topology.workQueue();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            GetResponse response = channel.basicGet(queue, true);
            if (response == null) {
                Thread.sleep(20);
                continue;
            }
            GenerationRequested request = JSON.readValue(response.getBody(), GenerationRequested.class);
            if (request.jobId().equals(jobId)) {
                lastRequestProperties = response.getProps();
                return request;
            }
        }
        throw new AssertionError("No GenerationRequested for job " + jobId + " within " + timeout);
    }

    AMQP.BasicProperties lastRequestProperties;

    /**
     * Takes every message from the work queue up to and including the one of {@code marker}, and yields them all:
     * a positive signal that whatever was published before the marker has been seen.
     */
    List<GenerationRequested> takeRequestsUntil(UUID marker, Duration timeout) throws Exception {
        List<GenerationRequested> seen = new java.util.ArrayList<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            GetResponse response = channel.basicGet(topology.workQueue(), true);
            if (response == null) {
                Thread.sleep(20);
                continue;
            }
            GenerationRequested request = JSON.readValue(response.getBody(), GenerationRequested.class);
            seen.add(request);
            if (request.jobId().equals(marker)) {
                return seen;
            }
        }
        throw new AssertionError("No GenerationRequested for job " + marker + " within " + timeout + "; saw " + seen);
    }

    /** Waits for a CancelRequested of {@code jobId} on the control exchange; null on timeout. */
    CancelRequested takeCancel(UUID jobId, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            GetResponse response = channel.basicGet(controlQueue, true);
            if (response == null) {
                Thread.sleep(20);
                continue;
            }
            CancelRequested cancel = JSON.readValue(response.getBody(), CancelRequested.class);
            if (cancel.jobId().equals(jobId)) {
                return cancel;
            }
        }
        return null;
    }

    /** The broker's {@code product} server property: "RabbitMQ" for RabbitMQ (bin/test may run Qpid Broker-J instead). */
    String brokerProduct() {
        return String.valueOf(connection.getServerProperties().get("product"));
    }

    /**
     * Replaces the work queue by one that refuses every message (length limit 0, overflow reject-publish): the
     * broker then nacks each publish, as it does when a queue is full. {@link #restoreWorkQueue()} undoes it.
     */
    void makeWorkQueueRejectPublishes() throws IOException {
        String queue = topology.workQueue();
        channel.queueDelete(queue);
        channel.queueDeclare(queue, true, false, false, Map.of("x-max-length", 0, "x-overflow", "reject-publish"));
        Declaration.Binding binding = workQueueBinding();
        channel.queueBind(queue, binding.exchange().name(), binding.routingKey());
    }

    /** The work queue as the gateway declares it (whatever its specification is). */
    void restoreWorkQueue() throws IOException {
        channel.queueDelete(topology.workQueue());
        TopologyDeclarer.declare(channel, topology.startupOf(Role.GATEWAY));
    }

    /** Stops the gateway's database writer from receiving job events (only the live SSE path gets them). */
    void unbindPersistQueue() throws IOException {
        channel.queueUnbind(topology.persistQueue(), topology.jobEventsExchange(), "job.#");
    }

    void rebindPersistQueue() throws IOException {
        channel.queueBind(topology.persistQueue(), topology.jobEventsExchange(), "job.#");
    }

    /** The exchange jobs are published to. */
    String workExchange() {
        return topology.requestsExchange();
    }

    /** Unbinds the work queue from its exchange, so that a job published there reaches no queue. */
    void unbindWorkQueue() throws IOException {
        Declaration.Binding binding = workQueueBinding();
        channel.queueUnbind(topology.workQueue(), binding.exchange().name(), binding.routingKey());
    }

    void rebindWorkQueue() throws IOException {
        TopologyDeclarer.declare(channel, topology.startupOf(Role.GATEWAY));
    }

    private Declaration.Binding workQueueBinding() {
        return topology.startupOf(Role.GATEWAY).bindings().stream()
                .filter(binding -> binding.queue().name().equals(topology.workQueue())).findFirst().orElseThrow();
    }

    void publish(JobEvent event) throws IOException {
        AMQP.BasicProperties properties = new AMQP.BasicProperties.Builder()
                .contentType("application/json").deliveryMode(2).build();
        channel.basicPublish(topology.jobEventsExchange(), event.routingKey(), properties,
                JSON.writeValueAsBytes(event));
    }

    /** Publishes a live preview as a generator does: transient, under its own routing key. */
    void publish(JobPreview preview) throws IOException {
        AMQP.BasicProperties properties = new AMQP.BasicProperties.Builder()
                .contentType("application/json").deliveryMode(1).build();
        channel.basicPublish(topology.jobEventsExchange(), JobPreview.ROUTING_KEY, properties,
                JSON.writeValueAsBytes(preview));
    }

    /**
     * A queue bound to the job-events exchange exactly as the persist queue is (the topology's own binding), for a
     * test to see what the database writer would receive; deleted with the connection.
     */
    String declarePersistProbe() throws IOException {
        Declaration.Binding persist = topology.startupOf(Role.GATEWAY).bindings().stream()
                .filter(binding -> binding.queue().name().equals(topology.persistQueue())).findFirst().orElseThrow();
        String probe = channel.queueDeclare("", false, true, true, null).getQueue();
        channel.queueBind(probe, persist.exchange().name(), persist.routingKey());
        return probe;
    }

    /** Takes one message from a queue, or null. */
    GetResponse take(String queue) throws IOException {
        return channel.basicGet(queue, true);
    }

    /** Publishes any body (garbage included) to the job-events exchange under {@code routingKey}. */
    void publishRaw(String routingKey, byte[] body) throws IOException {
        AMQP.BasicProperties properties = new AMQP.BasicProperties.Builder()
                .contentType("application/json").deliveryMode(2).build();
        channel.basicPublish(topology.jobEventsExchange(), routingKey, properties, body);
    }

    /** The wire form of an event as a tree, to make malformed variants of it. */
    static ObjectNode tree(JobEvent event) {
        return JSON.valueToTree(event);
    }

    static byte[] bytes(ObjectNode tree) throws IOException {
        return JSON.writeValueAsBytes(tree);
    }

    static JobEvent event(UUID jobId, JobEventType type, long sequence, int step, int totalSteps) {
        return new JobEvent(JobEvent.SCHEMA_VERSION, jobId, type, sequence, step, totalSteps, WORKER, null, null,
                null, null, null, Instant.now());
    }

    static JobEvent running(UUID jobId, long sequence, int totalSteps) {
        return new JobEvent(JobEvent.SCHEMA_VERSION, jobId, JobEventType.RUNNING, sequence, 0, totalSteps, WORKER,
                null, null, 512, 512, "pndm", Instant.now());
    }

    /** RUNNING of a job whose prompts the worker's tokenizer cut. */
    static JobEvent running(UUID jobId, long sequence, int totalSteps, PromptTruncation truncation) {
        return new JobEvent(JobEvent.SCHEMA_VERSION, jobId, JobEventType.RUNNING, sequence, 0, totalSteps, WORKER,
                null, null, 512, 512, "pndm", Instant.now(), truncation, null);
    }

    static JobEvent succeeded(UUID jobId, long sequence, int totalSteps, List<String> keys) {
        return new JobEvent(JobEvent.SCHEMA_VERSION, jobId, JobEventType.SUCCEEDED, sequence, totalSteps, totalSteps,
                WORKER, keys, null, null, null, null, Instant.now());
    }

    static JobEvent failed(UUID jobId, long sequence, String error) {
        return new JobEvent(JobEvent.SCHEMA_VERSION, jobId, JobEventType.FAILED, sequence, 1, 3, WORKER, null,
                error, null, null, null, Instant.now());
    }

    /**
     * Beats as a generator does: a {@link WorkerHeartbeat} of {@code workerId} every {@code interval} on the workers
     * fanout, on a channel and thread of its own, with whatever job {@code currentJob} says it runs (null: idle),
     * until the returned heart is closed.
     */
    Heart startBeating(String workerId, Duration interval,
                       Supplier<WorkerHeartbeat.CurrentJob> currentJob) throws IOException {
        return startBeating(workerId, interval, currentJob, Map.of("512x512", 0.8), false);
    }

    /** As {@link #startBeating(String, Duration, Supplier)}, announcing live previews or not. */
    Heart startBeating(String workerId, Duration interval, Supplier<WorkerHeartbeat.CurrentJob> currentJob,
                       boolean previews) throws IOException {
        return startBeating(workerId, interval, currentJob, Map.of("512x512", 0.8), previews);
    }

    /** Beats announcing these measured step times (seconds per UNet step by size). */
    Heart startBeating(String workerId, Duration interval, Supplier<WorkerHeartbeat.CurrentJob> currentJob,
                       Map<String, Double> stepSeconds) throws IOException {
        return startBeating(workerId, interval, currentJob, stepSeconds, false);
    }

    /** Beats announcing these step times, and live previews or not. */
    Heart startBeating(String workerId, Duration interval, Supplier<WorkerHeartbeat.CurrentJob> currentJob,
                       Map<String, Double> stepSeconds, boolean previews) throws IOException {
        Channel beats = connection.createChannel();
        Instant startedAt = Instant.now();
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("fake-heartbeat").daemon().factory());
        AtomicReference<Instant> last = new AtomicReference<>();
        timer.scheduleAtFixedRate(() -> {
            try {
                WorkerHeartbeat beat = new WorkerHeartbeat(WorkerHeartbeat.SCHEMA_VERSION, workerId,
                        "onnx-community/stable-diffusion-v1-5-ONNX", "main", "CPU", currentJob.get(),
                        stepSeconds, interval.toNanos() / 1e9, startedAt, Instant.now(), previews);
                beats.basicPublish(topology.workersExchange(), Topology.HEARTBEAT_ROUTING_KEY,
                        new AMQP.BasicProperties.Builder().contentType("application/json").deliveryMode(1).build(),
                        JSON.writeValueAsBytes(beat));
                last.set(Instant.now());
            } catch (IOException | RuntimeException e) {
                System.err.println("fake heartbeat of " + workerId + " failed: " + e);
            }
        }, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
        return new Heart(timer, beats, last);
    }

    /** A worker's heartbeat loop; closing it is the worker dying (no further beat). */
    record Heart(ScheduledExecutorService timer, Channel channel,
                 AtomicReference<Instant> lastBeat) implements AutoCloseable {
        /** When the last heartbeat was published; null before the first. */
        Instant lastBeatAt() {
            return lastBeat.get();
        }

        @Override
        public void close() throws Exception {
            timer.shutdownNow();
            timer.awaitTermination(5, TimeUnit.SECONDS);
            if (channel.isOpen()) {
                channel.close();
            }
        }
    }

    /** RUNNING of a job as another worker reports it (a redelivered job's new attempt). */
    static JobEvent running(UUID jobId, long sequence, int totalSteps, String workerId, int attempt) {
        return new JobEvent(JobEvent.SCHEMA_VERSION, jobId, JobEventType.RUNNING, sequence, 0, totalSteps, workerId,
                null, null, 512, 512, "pndm", Instant.now(), null, attempt);
    }

    @Override
    public void close() throws Exception {
        connection.close();
    }
}
