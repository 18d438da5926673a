package io.texttoimage.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DeliverCallback;

import io.texttoimage.broker.Topology;
import io.texttoimage.broker.TopologyDeclarer;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;

/**
 * Listens to the job-events exchange like one more gateway replica would (a live-events queue of its own), so tests
 * can see which worker ran a job: the workerId is in every JobEvent, not in the public API.
 */
final class JobBus implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Connection connection;
    private final List<JsonNode> events = new CopyOnWriteArrayList<>();

    private JobBus(Connection connection) {
        this.connection = connection;
    }

    static JobBus listen(ConnectionFactory factory, String prefix) throws IOException, TimeoutException {
        Connection connection = factory.newConnection("e2e-job-bus");
        JobBus bus = new JobBus(connection);
        Channel channel = connection.createChannel();
        String queue = TopologyDeclarer.declareQueue(channel, new Topology(prefix).liveEventsQueue("e2e-job-bus-"
                + UUID.randomUUID()));
        DeliverCallback onEvent = (tag, delivery) -> bus.events.add(JSON.readTree(delivery.getBody()));
        channel.basicConsume(queue, true, onEvent, tag -> { });
        return bus;
    }

    List<JsonNode> of(String jobId) {
        return events.stream().filter(e -> jobId.equals(e.path("job_id").asText())).toList();
    }

    JsonNode await(Predicate<JsonNode> matching, Duration timeout, String what) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            for (JsonNode event : events) {
                if (matching.test(event)) {
                    return event;
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no job event on the bus within " + timeout.toSeconds() + " s: " + what);
    }

    static Predicate<JsonNode> event(String jobId, String type) {
        return e -> jobId.equals(e.path("job_id").asText()) && type.equalsIgnoreCase(e.path("type").asText());
    }

    @Override
    public void close() throws IOException {
        connection.close();
    }
}
