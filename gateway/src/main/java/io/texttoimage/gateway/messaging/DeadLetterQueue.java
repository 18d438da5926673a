package io.texttoimage.gateway.messaging;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.texttoimage.broker.BrokerSettings;
import io.texttoimage.broker.JobAttempts;
import io.texttoimage.broker.RecoveringSubscription;
import io.texttoimage.broker.Role;
import io.texttoimage.broker.Topology;
import io.texttoimage.broker.TopologyDeclarer;
import io.texttoimage.contracts.GenerationRequested;
import io.texttoimage.gateway.job.JobSnapshot;
import io.texttoimage.gateway.job.JobStateMachine;
import io.texttoimage.gateway.job.JobStore;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.time.Duration;
import java.util.UUID;

/**
 * Ends the jobs that ran out of attempts: reads {@code <prefix>.generation-requests.dead-letters} (shared by the
 * replicas, each job handled by one) and announces each job's end as a FAILED job event naming the attempts, on the
 * job-events exchange as a generator would. So the one path that writes job events writes the record (through
 * {@link JobStateMachine}: a job already ended stays as it is), and every replica's SSE streams end with it.
 * The dead letter is acknowledged once the broker confirmed the event; until then (broker or database trouble) it
 * goes back to the queue after a pause.
 */
@ApplicationScoped
public class DeadLetterQueue {
    private static final Logger LOG = Logger.getLogger(DeadLetterQueue.class);
    private static final Duration STEP_TIMEOUT = Duration.ofSeconds(30);
    /** Before a dead letter that could not be handled goes back: bounds the redelivery rate during an outage. */
    private static final long RETRY_PAUSE_MILLIS = 1_000;
    private final JobPublisher publisher;
    private final JobStore store;
    private final JsonCodec codec;
    private final JobAttempts attempts;
    private final RecoveringSubscription subscription;

    public DeadLetterQueue(JobPublisher publisher, JobStore store, JsonCodec codec, BrokerSettings broker,
                           Topology topology) {
        this.publisher = publisher;
        this.store = store;
        this.codec = codec;
        this.attempts = new JobAttempts(topology);
        this.subscription = new RecoveringSubscription(broker, "gateway-dead-letters", channel -> {
            TopologyDeclarer.declare(channel, topology.startupOf(Role.GATEWAY)); // idempotent; repeated on recovery
            channel.basicQos(1);
            channel.basicConsume(topology.deadLetterQueue(), false, "gateway-dead-letters", new Failing(channel));
            LOG.infof("Failing jobs that ran out of attempts from %s", topology.deadLetterQueue());
        });
    }

    void start(@Observes StartupEvent event) {
        subscription.start();
    }

    void stop(@Observes ShutdownEvent event) {
        subscription.close();
    }

    /** Whether jobs past their last attempt are being failed now (for readiness). */
    public boolean isConsuming() {
        return subscription.isConnected();
    }

    /** The job's reason, one sentence. */
    static String reason(int attempts) {
        return "Gave up after " + attempts + (attempts == 1 ? " attempt" : " attempts")
                + ": the worker stopped while running it.";
    }

    private final class Failing extends DefaultConsumer {
        Failing(Channel channel) {
            super(channel);
        }

        @Override
        public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties properties, byte[] body)
                throws IOException {
            try {
                fail(properties, body);
            } catch (RuntimeException | InterruptedException e) {
                LOG.warnf("A job past its last attempt could not be failed yet (%s); retrying", e.getMessage());
                pause();
                getChannel().basicNack(envelope.getDeliveryTag(), false, true);
                return;
            }
            getChannel().basicAck(envelope.getDeliveryTag(), false);
        }
    }

    private void fail(AMQP.BasicProperties properties, byte[] body) throws InterruptedException {
        UUID jobId;
        try {
            jobId = codec.decode(body, GenerationRequested.class).jobId();
        } catch (RuntimeException e) {
            LOG.errorf("Dropping an unreadable dead-lettered job message: %s", e.getMessage());
            return;
        }
        if (jobId == null) {
            LOG.error("Dropping a dead-lettered job message without a job id");
            return;
        }
        JobSnapshot stored = store.currentState(jobId).await().atMost(STEP_TIMEOUT);
        if (stored == null || JobStateMachine.isTerminal(stored.status())) {
            LOG.infof("Job %s ran out of attempts but is %s; nothing to fail", jobId,
                    stored == null ? "not stored" : stored.status().apiName());
            return;
        }
        int made = attempts.attemptsOf(properties);
        publisher.publishGatewayFailure(jobId, stored.step(), stored.totalSteps(), reason(made), made)
                .await().atMost(STEP_TIMEOUT);
        LOG.warnf("Job %s failed after %d attempt(s): its worker stopped while running it each time", jobId, made);
    }

    private static void pause() {
        try {
            Thread.sleep(RETRY_PAUSE_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
