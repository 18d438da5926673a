package io.texttoimage.gateway.messaging;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.texttoimage.broker.BrokerSettings;
import io.texttoimage.broker.Declaration;
import io.texttoimage.broker.RecoveringSubscription;
import io.texttoimage.broker.Topology;
import io.texttoimage.broker.TopologyDeclarer;
import io.texttoimage.contracts.JobEvent;
import io.texttoimage.contracts.JobPreview;
import io.texttoimage.gateway.config.GatewayConfig;
import io.texttoimage.gateway.events.JobEventBroadcaster;
import io.texttoimage.gateway.job.JobStateMachine;
import io.texttoimage.gateway.job.JobStore;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

/**
 * Receives every job event through this replica's own exclusive auto-delete queue
 * ({@code <prefix>.job-events.gateway-<instance-id>}, see {@link Topology#liveEventsQueue}) and hands it to the SSE
 * streams open here. Nothing is stored: a replica that is down has no clients to tell.
 *
 * <p>A plain RabbitMQ client consumer (auto-ack) rather than the SmallRye connector: this path is pure latency,
 * and the connector's hops (client thread, Vert.x context, Mutiny pipeline) made an event 10–16 ms old on average
 * by the time it got here with a thousand streams open. The client's automatic recovery re-declares the queue,
 * its binding and the consumer after a connection loss.
 */
@ApplicationScoped
public class JobEventFanout {
    private static final Logger LOG = Logger.getLogger(JobEventFanout.class);

    private final JobEventBroadcaster broadcaster;
    private final JobStore store;
    private final JsonCodec codec;
    private final RecoveringSubscription subscription;
    /** Age of a job event when it reaches this replica (generator clock to gateway clock: exact on one host only). */
    private final Timer eventAge;

    public JobEventFanout(JobEventBroadcaster broadcaster, JobStore store, JsonCodec codec, BrokerSettings broker,
                          Topology topology, GatewayConfig config, MeterRegistry registry) {
        this.broadcaster = broadcaster;
        this.store = store;
        this.codec = codec;
        this.eventAge = registry.timer("t2i.gateway.job.event.age");
        Declaration ownQueue = topology.liveEventsQueue(config.instanceId());
        this.subscription = new RecoveringSubscription(broker, "gateway-live-events", channel -> {
            String queue = TopologyDeclarer.declareQueue(channel, ownQueue);
            channel.basicConsume(queue, true, new DefaultConsumer(channel) {
                @Override
                public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties properties,
                                           byte[] body) {
                    if (JobPreview.ROUTING_KEY.equals(envelope.getRoutingKey())) {
                        onPreview(body);
                    } else {
                        onEvent(body);
                    }
                }
            });
            LOG.infof("Receiving live job events on %s", queue);
        });
    }

    void start(@Observes StartupEvent event) {
        subscription.start();
    }

    void stop(@Observes ShutdownEvent event) {
        subscription.close();
    }

    /** Whether this replica receives live events now (for readiness). */
    public boolean isConsuming() {
        return subscription.isConnected();
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
            if (JobStateMachine.endsJob(event.type())) {
                storeThenPublish(event);
            } else {
                broadcaster.publish(event);
            }
        } catch (RuntimeException e) {
            LOG.warnf("Ignoring unreadable job event: %s", e.getMessage());
        }
    }

    /** A live preview (the same queue, its own routing key): streamed, never stored. */
    void onPreview(byte[] body) {
        try {
            JobPreview preview = codec.decode(body, JobPreview.class);
            if (preview.jobId() == null || preview.image() == null || preview.mediaType() == null) {
                return;
            }
            broadcaster.preview(preview);
        } catch (RuntimeException e) {
            LOG.warnf("Ignoring unreadable job preview: %s", e.getMessage());
        }
    }

    /** If the write fails (PostgreSQL down), the event is streamed anyway: the persister stores it once it can. */
    private void storeThenPublish(JobEvent event) {
        store.applyTerminal(event).subscribe().with(changed -> broadcaster.publish(event), failure -> {
            LOG.warnf("Job %s: streaming its %s event before it is stored (%s)", event.jobId(), event.type(),
                    failure.getMessage());
            broadcaster.publish(event);
        });
    }
}
