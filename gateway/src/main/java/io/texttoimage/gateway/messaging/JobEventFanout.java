package io.texttoimage.gateway.messaging;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.texttoimage.contracts.JobEvent;
import io.texttoimage.gateway.config.BrokerConfig;
import io.texttoimage.gateway.config.GatewayConfig;
import io.texttoimage.gateway.events.JobEventBroadcaster;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

/**
 * Receives every job event through this replica's own exclusive auto-delete queue
 * ({@code <prefix>.job-events.gateway-<instance-id>}, bound to {@code <prefix>.job-events} with {@code job.#}) and
 * hands it to the SSE streams open here. Nothing is stored: a replica that is down has no clients to tell.
 *
 * <p>A plain RabbitMQ client consumer (auto-ack) rather than the SmallRye connector: this path is pure latency,
 * and the connector's hops (client thread, Vert.x context, Mutiny pipeline) made an event 10–16 ms old on average
 * by the time it got here with a thousand streams open. The client's automatic recovery re-declares the queue,
 * its binding and the consumer after a connection loss.
 */
@ApplicationScoped
public class JobEventFanout {
    private static final Logger LOG = Logger.getLogger(JobEventFanout.class);
    private static final long RETRY_MILLIS = 2_000;

    private final JobEventBroadcaster broadcaster;
    private final JsonCodec codec;
    private final BrokerConfig broker;
    private final String exchange;
    private final String queue;
    /** Age of a job event when it reaches this replica (generator clock to gateway clock: exact on one host only). */
    private final Timer eventAge;
    private volatile Connection connection;
    private volatile boolean stopping;

    public JobEventFanout(JobEventBroadcaster broadcaster, JsonCodec codec, BrokerConfig broker, MessagingNames names,
                          GatewayConfig config, MeterRegistry registry) {
        this.broadcaster = broadcaster;
        this.codec = codec;
        this.broker = broker;
        this.exchange = names.jobEvents();
        this.queue = exchange + ".gateway-" + config.instanceId();
        this.eventAge = registry.timer("t2i.gateway.job.event.age");
    }

    void start(@Observes StartupEvent event) {
        if (!connect()) {
            Thread.ofPlatform().name("gateway-live-events-connect").daemon().start(() -> {
                while (!stopping && !connect()) {
                    sleep();
                }
            });
        }
    }

    void stop(@Observes ShutdownEvent event) {
        stopping = true;
        Connection current = connection;
        if (current != null) {
            try {
                current.close(2_000);
            } catch (Exception e) {
                LOG.debugf("Closing the live event connection: %s", e.getMessage());
            }
        }
    }

    /** Whether this replica receives live events now (for readiness). */
    public boolean isConsuming() {
        Connection current = connection;
        return current != null && current.isOpen();
    }

    private boolean connect() {
        Connection opened = null;
        try {
            ConnectionFactory factory = broker.connectionFactory();
            factory.setAutomaticRecoveryEnabled(true);
            factory.setTopologyRecoveryEnabled(true);
            opened = factory.newConnection("gateway-live-events");
            Channel channel = opened.createChannel();
            channel.exchangeDeclare(exchange, BuiltinExchangeType.TOPIC, true);
            channel.queueDeclare(queue, false, true, true, null);
            channel.queueBind(queue, exchange, "job.#");
            channel.basicConsume(queue, true, new DefaultConsumer(channel) {
                @Override
                public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties properties,
                                           byte[] body) {
                    onEvent(body);
                }
            });
            connection = opened;
            LOG.infof("Receiving live job events on %s", queue);
            return true;
        } catch (Exception e) {
            if (opened != null) {
                opened.abort(1_000); // declared halfway: do not leave a connection behind
            }
            if (!stopping) {
                LOG.warnf("Cannot consume live job events from RabbitMQ at %s:%d (%s); retrying every %d s",
                        broker.host(), broker.port(), e.getMessage(), RETRY_MILLIS / 1000);
            }
            return false;
        }
    }

    /** On the client's consumer thread; the broadcaster hands each stream its event on the stream's event loop. */
    void onEvent(byte[] body) {
        try {
            JobEvent event = codec.decode(body, JobEvent.class);
            if (event.jobId() == null || event.type() == null) {
                return;
            }
            if (event.at() != null) {
                eventAge.record(Math.max(0, Duration.between(event.at(), Instant.now()).toNanos()),
                        TimeUnit.NANOSECONDS);
            }
            broadcaster.publish(event);
        } catch (RuntimeException e) {
            LOG.warnf("Ignoring unreadable job event: %s", e.getMessage());
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(RETRY_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
