package io.texttoimage.gateway;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.texttoimage.broker.JobAttempts;
import io.texttoimage.broker.Topology;
import io.texttoimage.contracts.GenerationRequested;
import io.texttoimage.contracts.JobEvent;
import io.texttoimage.contracts.JobEventType;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.URL;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bounded attempts end to end on the real broker and database: a job whose worker dies every time it runs it ends
 * {@code failed} after the third attempt, with a reason naming the attempts, in the record and on its SSE stream;
 * the job submitted behind it still runs. Workers are played by connections that take one job each, report it
 * RUNNING as a generator does, and die holding it (closed without an acknowledgement). They decide with the same
 * {@link JobAttempts} as the generator, so this passes on RabbitMQ (quorum queue: the broker counts) and on Qpid
 * Broker-J (bin/test without RabbitMQ: the header counts).
 */
@QuarkusTest
@WithTestResource(GatewayTestResources.class)
class JobAttemptsTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final ObjectMapper JSON = new ObjectMapper().findAndRegisterModules()
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);

    @TestHTTPResource("/generated-images")
    URL base;

    private final Topology topology = new Topology(ConfigProvider.getConfig().getValue(Topology.PREFIX_KEY,
            String.class));
    private final JobAttempts attempts = new JobAttempts(topology);

    @Test
    void aJobWhoseWorkerDiesThreeTimesEndsFailedWithTheAttemptsAndTheJobBehindItRuns() throws Exception {
        UUID poison = submit("a prompt that kills the worker");
        UUID behind = submit("a prompt behind it");
        try (SseClient stream = new SseClient(URI.create(base + "/" + poison + "/events"), null)) {
            List<Integer> deaths = new ArrayList<>();
            boolean behindDone = false;
            long deadline = System.nanoTime() + WAIT.toNanos();
            // Workers keep taking jobs until the poison job has ended: on Qpid the worker after the last death
            // is the one that dead-letters it.
            while ((!behindDone || !"failed".equals(record(poison).getString("status")))
                    && System.nanoTime() < deadline) {
                Integer died = takeOneJob(poison, behind);
                if (died != null && died > 0) {
                    deaths.add(died);
                } else if (died != null && died == 0) {
                    behindDone = true;
                }
            }
            assertEquals(List.of(1, 2, 3), deaths, "the worker died at attempts 1, 2 and 3");
            assertTrue(behindDone, "the job behind it was taken");

            String reason = "Gave up after 3 attempts: the worker stopped while running it.";
            List<SseClient.Event> events = stream.untilEnd(WAIT);
            SseClient.Event last = events.getLast();
            assertEquals("failed", last.name(), "the stream ends failed: " + events);
            assertEquals(reason, last.data().get("error").asText());

            Eventually.await(WAIT, "the record says failed", () -> "failed".equals(record(poison).getString("status")));
            JsonPath record = record(poison);
            assertEquals(reason, record.getString("error"));
            assertEquals(3, record.getInt("attempts"));
            Eventually.await(WAIT, "the job behind it succeeded",
                    () -> "succeeded".equals(record(behind).getString("status")));
            assertEquals(1, record(behind).getInt("attempts"));
        }
    }

    private UUID submit(String prompt) {
        String id = given().contentType(ContentType.JSON).body("{\"prompt\":\"" + prompt + "\",\"num_steps\":3}")
                .post("/generated-images").then().statusCode(201).extract().path("id");
        return UUID.fromString(id);
    }

    private static JsonPath record(UUID id) {
        return given().get("/generated-images/" + id).then().statusCode(200).extract().jsonPath();
    }

    /**
     * One worker on a connection of its own takes one job: it dies holding the poison job (returns the attempt),
     * runs the other to success (returns 0), discards jobs of other tests, and passes on what {@link JobAttempts}
     * says not to run (returns null).
     */
    private Integer takeOneJob(UUID poison, UUID behind) throws Exception {
        try (Connection worker = GatewayTestResources.BROKER.connectionFactory().newConnection("attempts-worker")) {
            Channel channel = worker.createChannel();
            channel.confirmSelect();
            GetResponse delivery = channel.basicGet(topology.workQueue(), false);
            if (delivery == null) {
                Thread.sleep(20);
                return null;
            }
            long tag = delivery.getEnvelope().getDeliveryTag();
            JobAttempts.Decision decision = attempts.decide(delivery.getEnvelope(), delivery.getProps());
            UUID jobId = JSON.readValue(delivery.getBody(), GenerationRequested.class).jobId();
            if (decision.action() != JobAttempts.Action.RUN) {
                channel.basicPublish(decision.exchange(), decision.routingKey(), decision.properties(),
                        delivery.getBody());
                channel.waitForConfirmsOrDie(5_000);
                channel.basicAck(tag, false);
                return null;
            }
            if (!jobId.equals(poison) && !jobId.equals(behind)) {
                channel.basicAck(tag, false); // another test's job
                return null;
            }
            publish(channel, event(jobId, JobEventType.RUNNING, decision.attempt(), 0));
            if (jobId.equals(poison)) {
                return decision.attempt(); // dies: the connection closes without an acknowledgement
            }
            publish(channel, event(jobId, JobEventType.SUCCEEDED, decision.attempt(), 3));
            channel.basicAck(tag, false);
            return 0;
        }
    }

    private JobEvent event(UUID jobId, JobEventType type, int attempt, int step) {
        long sequence = (attempt > 1 ? System.currentTimeMillis() * 1000 : 0) + step + 1;
        return new JobEvent(JobEvent.SCHEMA_VERSION, jobId, type, sequence, step, 3, "worker-" + UUID.randomUUID(),
                type == JobEventType.SUCCEEDED ? List.of(jobId + "/0.png") : null, null, null, null, null,
                Instant.now(), null, attempt);
    }

    private void publish(Channel channel, JobEvent event) throws Exception {
        channel.basicPublish(topology.jobEventsExchange(), event.routingKey(), new AMQP.BasicProperties.Builder()
                .contentType("application/json").deliveryMode(2).build(), JSON.writeValueAsBytes(event));
        channel.waitForConfirmsOrDie(5_000);
    }
}
