package io.texttoimage.gateway.messaging;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.texttoimage.broker.BrokerSettings;
import io.texttoimage.broker.RecoveringSubscription;
import io.texttoimage.broker.Role;
import io.texttoimage.broker.Topology;
import io.texttoimage.broker.TopologyDeclarer;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.time.Duration;

/**
 * Feeds the {@link JobEventPersister} from the durable queue {@code <prefix>.job-events.persist} that all gateway
 * replicas share, and declares the gateway's topology ({@link Topology#startupOf} {@link Role#GATEWAY}: the work
 * queue, the control and job-event exchanges, this queue) before anything is published or consumed.
 *
 * <p>Why the plain client and not the SmallRye connector, which consumed this queue before: with the connector, the
 * queue, its exchange and binding were declared a second time in application.properties, beside the broker
 * module's declaration; and its TLS (Vert.x RabbitMQ client 4.5) does not verify the broker's host name, which
 * every other connection does. Events are handled one at a time, in order, as the connector did: the consumer
 * thread waits for each write. A message is acknowledged after the persister is done with it and handed back to
 * the queue (requeued) when that fails.
 */
@ApplicationScoped
public class JobEventQueue {
    private static final Logger LOG = Logger.getLogger(JobEventQueue.class);
    /** Unacknowledged messages per replica: PROGRESS events are acknowledged as soon as they are buffered. */
    private static final int PREFETCH = 256;
    /** A write that takes longer is given up and its event requeued. */
    private static final Duration WRITE_TIMEOUT = Duration.ofSeconds(60);

    private final JobEventPersister persister;
    private final RecoveringSubscription subscription;

    public JobEventQueue(JobEventPersister persister, BrokerSettings broker, Topology topology) {
        this.persister = persister;
        this.subscription = new RecoveringSubscription(broker, "gateway-job-events", channel -> {
            // Declared on every first subscription, so a gateway that started while the broker was away still
            // creates the work queue before a generator appears; recovery repeats it after a broker restart.
            TopologyDeclarer.declare(channel, topology.startupOf(Role.GATEWAY));
            channel.basicQos(PREFETCH);
            channel.basicConsume(topology.persistQueue(), false, "gateway-persister", new Persisting(channel));
            LOG.infof("Work queue %s is declared; persisting job events from %s", topology.workQueue(),
                    topology.persistQueue());
        });
    }

    /** First of the start-up observers: the publisher's first job must find the work queue declared. */
    void start(@Observes @Priority(1) StartupEvent event) {
        subscription.start();
    }

    /** Before the persister's last progress flush: no event arrives after it. */
    void stop(@Observes @Priority(1) ShutdownEvent event) {
        subscription.close();
    }

    /** Whether job events reach the database now (for readiness). */
    public boolean isConsuming() {
        return subscription.isConnected();
    }

    /**
     * Handles one event at a time. A failed write (PostgreSQL down) is requeued only after a pause that doubles with
     * every failure in a row, from {@link WriteBackoff#FIRST} up to {@link WriteBackoff#LONGEST}: during an outage
     * the queue is retried a few times a second at first and then every few seconds, instead of thousands of
     * redeliveries per second, and the log says so once when it starts and once when writes work again.
     */
    private final class Persisting extends DefaultConsumer {
        private final WriteBackoff backoff = new WriteBackoff();

        Persisting(Channel channel) {
            super(channel);
        }

        @Override
        public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties properties, byte[] body)
                throws IOException {
            try {
                persister.onEvent(body).await().atMost(WRITE_TIMEOUT);
            } catch (RuntimeException e) {
                backoff.failed(e);
                getChannel().basicNack(envelope.getDeliveryTag(), false, true);
                return;
            }
            backoff.succeeded();
            getChannel().basicAck(envelope.getDeliveryTag(), false);
        }
    }

    /** The pause before a failed event goes back to the queue; on the consumer's own thread, so nothing else runs. */
    static final class WriteBackoff {
        static final Duration FIRST = Duration.ofMillis(100);
        static final Duration LONGEST = Duration.ofSeconds(5);
        private Duration next = FIRST;
        private long failures;
        private long outageStart;

        void failed(RuntimeException failure) {
            if (failures++ == 0) {
                outageStart = System.nanoTime();
                LOG.warnf("Job events cannot be stored (%s); they stay in the queue and are retried with a back-off "
                        + "of up to %d s until the database is back", failure.getMessage(), LONGEST.toSeconds());
            } else {
                LOG.debugf("Job event requeued: %s", failure.getMessage());
            }
            pause(next);
            next = next.multipliedBy(2).compareTo(LONGEST) > 0 ? LONGEST : next.multipliedBy(2);
        }

        void succeeded() {
            if (failures > 0) {
                LOG.infof("Job events are stored again, after %d failed attempt(s) over %d s", failures,
                        Duration.ofNanos(System.nanoTime() - outageStart).toSeconds());
                failures = 0;
                next = FIRST;
            }
        }

        private static void pause(Duration pause) {
            try {
                Thread.sleep(pause);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
