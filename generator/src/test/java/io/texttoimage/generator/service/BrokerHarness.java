package io.texttoimage.generator.service;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import io.texttoimage.broker.StoreImageHeaders;
import io.texttoimage.broker.Topology;
import io.texttoimage.contracts.CancelRequested;
import io.texttoimage.contracts.GenerationRequested;
import io.texttoimage.contracts.ImageStored;
import io.texttoimage.contracts.JobEvent;
import io.texttoimage.contracts.JobPreview;
import io.texttoimage.contracts.WorkerHeartbeat;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Plays the gateway and the storage adapter around the worker under test: publishes jobs and cancels, records every
 * job event (in arrival order), and answers StoreImage messages with ImageStored like the real adapter would.
 */
final class BrokerHarness implements AutoCloseable {

    /** One recorded event and its arrival position across all jobs. */
    record Arrival(long position, JobEvent event) {
    }

    /** One heartbeat and its arrival position among the job events. */
    record HeardBeat(long position, WorkerHeartbeat heartbeat) {
    }

    /** One preview heard on a gateway-like live queue, with the arrival position it shares with the job events. */
    record HeardPreview(long position, JobPreview preview, long receivedNanos) {
    }

    /** One StoreImage message as the storage side received it. */
    record StoredImage(Map<String, Object> headers, byte[] png) {
    }

    private final Topology topology;
    private final ObjectMapper json;
    private final Connection connection;
    private final Channel channel;
    private final AtomicLong arrivals = new AtomicLong();
    private final List<Arrival> events = new CopyOnWriteArrayList<>();
    /** Every worker heartbeat heard, with the arrival position it shares with the job events. */
    final List<HeardBeat> heartbeats = new CopyOnWriteArrayList<>();
    final Map<UUID, List<StoredImage>> images = new ConcurrentHashMap<>();
    /** Every preview heard, as a gateway replica's live queue receives them. */
    final List<HeardPreview> previews = new CopyOnWriteArrayList<>();
    /** When set, the fake storage side reports this error instead of storing. */
    volatile String storeError;

    BrokerHarness(Topology topology, ObjectMapper json) throws Exception {
        this.topology = topology;
        this.json = json;
        connection = GeneratorTestResource.BROKER.connectionFactory().newConnection("generator-test");
        channel = connection.createChannel();
        channel.confirmSelect();
        recordJobEvents();
        recordHeartbeats();
        recordPreviews();
        actAsStorageAdapter();
    }

    /** Like a gateway replica: its own live queue (job events and previews, by the topology's bindings). */
    private void recordPreviews() throws IOException {
        Channel live = connection.createChannel();
        String queue = io.texttoimage.broker.TopologyDeclarer.declareQueue(live,
                topology.liveEventsQueue("generator-test-" + UUID.randomUUID()));
        live.basicConsume(queue, true, new DefaultConsumer(live) {
            @Override
            public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties props, byte[] body)
                    throws IOException {
                if (JobPreview.ROUTING_KEY.equals(envelope.getRoutingKey())) {
                    previews.add(new HeardPreview(arrivals.incrementAndGet(), json.readValue(body, JobPreview.class),
                            System.nanoTime()));
                }
            }
        });
    }

    List<HeardPreview> previews(UUID jobId) {
        return previews.stream().filter(heard -> heard.preview().jobId().equals(jobId)).toList();
    }

    /** Like a gateway replica: its own exclusive queue on the workers fanout. */
    private void recordHeartbeats() throws IOException {
        Channel beats = connection.createChannel();
        String queue = io.texttoimage.broker.TopologyDeclarer.declareQueue(beats,
                topology.workersQueue("generator-test-" + UUID.randomUUID()));
        beats.basicConsume(queue, true, new DefaultConsumer(beats) {
            @Override
            public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties props, byte[] body)
                    throws IOException {
                heartbeats.add(new HeardBeat(arrivals.incrementAndGet(), json.readValue(body, WorkerHeartbeat.class)));
            }
        });
    }

    /** The first heartbeat heard after the given arrival position that satisfies the condition. */
    WorkerHeartbeat awaitHeartbeat(long after, java.util.function.Predicate<WorkerHeartbeat> condition,
                                   Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            for (HeardBeat beat : heartbeats) {
                if (beat.position() > after && condition.test(beat.heartbeat())) {
                    return beat.heartbeat();
                }
            }
            Thread.sleep(10);
        }
        return fail("No matching heartbeat within " + timeout + "; the last heard: "
                + (heartbeats.isEmpty() ? "none" : heartbeats.getLast()));
    }

    private void recordJobEvents() throws IOException {
        Channel events = connection.createChannel();
        String queue = events.queueDeclare().getQueue();
        events.queueBind(queue, topology.jobEventsExchange(), "job.#");
        events.basicConsume(queue, true, new DefaultConsumer(events) {
            @Override
            public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties props, byte[] body)
                    throws IOException {
                BrokerHarness.this.events.add(
                        new Arrival(arrivals.incrementAndGet(), json.readValue(body, JobEvent.class)));
            }
        });
    }

    private void actAsStorageAdapter() throws IOException {
        Channel storage = connection.createChannel();
        storage.basicConsume(topology.imageStoreQueue(), false, new DefaultConsumer(storage) {
            @Override
            public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties props, byte[] body)
                    throws IOException {
                Map<String, Object> headers = props.getHeaders();
                UUID jobId = UUID.fromString(headers.get(StoreImageHeaders.JOB_ID).toString());
                int index = Integer.parseInt(headers.get(StoreImageHeaders.IMAGE_INDEX).toString());
                images.computeIfAbsent(jobId, id -> new CopyOnWriteArrayList<>()).add(new StoredImage(headers, body));
                String error = storeError;
                ImageStored reply = new ImageStored(ImageStored.SCHEMA_VERSION, jobId, index,
                        error == null ? ImageStored.keyOf(jobId, index) : null, error == null ? body.length : 0, error);
                getChannel().basicPublish(topology.imageStoredExchange(), Topology.IMAGE_STORED_ROUTING_KEY, null,
                        json.writeValueAsBytes(reply));
                getChannel().basicAck(envelope.getDeliveryTag(), false);
            }
        });
    }

    static GenerationRequested job(UUID jobId, int steps, Integer width, Integer height, String scheduler,
                                   int numImages) {
        return new GenerationRequested(GenerationRequested.SCHEMA_VERSION, jobId, "a red apple on a table",
                "blurry", steps, 7.5, width, height, scheduler, 42L, numImages, Instant.now());
    }

    void publish(GenerationRequested job) throws Exception {
        publishBytes(json.writeValueAsBytes(job));
    }

    /** A job as a worker re-publishes it, with message headers (the attempts counted so far, say). */
    void publish(GenerationRequested job, Map<String, Object> headers) throws Exception {
        AMQP.BasicProperties props = new AMQP.BasicProperties.Builder()
                .contentType("application/json").deliveryMode(2).headers(headers).build();
        channel.basicPublish(topology.requestsExchange(), Topology.JOB_ROUTING_KEY, true, props,
                json.writeValueAsBytes(job));
        channel.waitForConfirmsOrDie(5_000);
    }

    /** Takes one message off the dead-letter queue, if there is one. */
    com.rabbitmq.client.GetResponse takeDeadLetter() throws IOException {
        return channel.basicGet(topology.deadLetterQueue(), true);
    }

    void publishBytes(byte[] body) throws Exception {
        AMQP.BasicProperties props = new AMQP.BasicProperties.Builder()
                .contentType("application/json").deliveryMode(2).build();
        channel.basicPublish(topology.requestsExchange(), Topology.JOB_ROUTING_KEY, true,
                props, body);
        channel.waitForConfirmsOrDie(5_000);
    }

    void cancel(UUID jobId) throws Exception {
        channel.basicPublish(topology.controlExchange(), Topology.CANCEL_ROUTING_KEY, null,
                json.writeValueAsBytes(new CancelRequested(CancelRequested.SCHEMA_VERSION, jobId, Instant.now())));
        channel.waitForConfirmsOrDie(5_000);
    }

    List<Arrival> arrivals(UUID jobId) {
        List<Arrival> result = new ArrayList<>();
        for (Arrival arrival : events) {
            if (arrival.event().jobId().equals(jobId)) {
                result.add(arrival);
            }
        }
        return result;
    }

    List<JobEvent> events(UUID jobId) {
        return arrivals(jobId).stream().map(Arrival::event).toList();
    }

    /** Every event of the job up to and including its terminal one. */
    List<JobEvent> awaitTerminal(UUID jobId, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            List<JobEvent> events = events(jobId);
            if (!events.isEmpty() && events.get(events.size() - 1).type().isTerminal()) {
                return events;
            }
            Thread.sleep(20);
        }
        return fail("No terminal event for job " + jobId + " within " + timeout + "; got " + events(jobId));
    }

    /** Waits for the first event of a job that satisfies the condition. */
    JobEvent awaitEvent(UUID jobId, java.util.function.Predicate<JobEvent> condition, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            for (JobEvent event : events(jobId)) {
                if (condition.test(event)) {
                    return event;
                }
            }
            Thread.sleep(10);
        }
        return fail("No matching event for job " + jobId + " within " + timeout + "; got " + events(jobId));
    }

    /** Polls until the condition holds; fails naming what was awaited. */
    static void awaitTrue(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() >= deadline) {
                fail("Not within " + timeout + ": " + what);
            }
            Thread.sleep(20);
        }
    }

    long readyJobs() throws IOException {
        return channel.queueDeclarePassive(topology.workQueue()).getMessageCount();
    }

    /** The bodies of the messages ready in the work queue, looked at and put back (with their redelivered flag). */
    List<String> peekReadyJobs() throws IOException {
        List<String> bodies = new java.util.ArrayList<>();
        long lastTag = -1;
        for (long i = readyJobs(); i > 0; i--) {
            com.rabbitmq.client.GetResponse response = channel.basicGet(topology.workQueue(), false);
            if (response == null) {
                break;
            }
            bodies.add(new String(response.getBody(), java.nio.charset.StandardCharsets.UTF_8));
            lastTag = response.getEnvelope().getDeliveryTag();
        }
        if (lastTag >= 0) {
            channel.basicNack(lastTag, true, true);
        }
        return bodies;
    }

    /** Takes one job message off the work queue, as another worker would. */
    com.rabbitmq.client.GetResponse takeJob() throws IOException {
        return channel.basicGet(topology.workQueue(), true);
    }

    @Override
    public void close() throws Exception {
        connection.close();
    }
}
