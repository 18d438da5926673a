package io.texttoimage.generator.service;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.texttoimage.broker.BrokerConnection;
import io.texttoimage.broker.Topology;
import io.texttoimage.contracts.WorkerHeartbeat;
import io.texttoimage.pipeline.ModelInfo;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.interceptor.Interceptor;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Publishes this worker's {@link WorkerHeartbeat} on {@code <prefix>.workers} every
 * {@code t2i.generator.heartbeat-interval}, from start-up (while the model loads too) until shutdown. On its own
 * channel and thread, without publisher confirms: a heartbeat must never wait behind a job's events, and a lost one
 * is replaced by the next. Transient and expiring after {@link WorkerHeartbeat#MISSED_BEATS_UNTIL_LOST} intervals,
 * so a gateway that lags behind never reads a stale one as news.
 */
@ApplicationScoped
public class HeartbeatPublisher {
    private static final Logger LOG = Logger.getLogger(HeartbeatPublisher.class);

    private final BrokerConnection broker;
    private final Topology topology;
    private final GeneratorConfig config;
    private final ModelService model;
    private final WorkerActivity activity;
    private final JobWorker worker;
    private final ObjectMapper json;
    private final Instant startedAt = Instant.now();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("t2i-heartbeat").daemon().factory());
    private Channel channel;
    private boolean failing;

    public HeartbeatPublisher(BrokerConnection broker, Topology topology, GeneratorConfig config, ModelService model,
                              WorkerActivity activity, JobWorker worker, ObjectMapper json) {
        this.broker = broker;
        this.topology = topology;
        this.config = config;
        this.model = model;
        this.activity = activity;
        this.worker = worker;
        this.json = json;
    }

    /** After the worker has declared the topology (its start-up observer runs first, at the default priority). */
    void start(@Observes @Priority(Interceptor.Priority.LIBRARY_AFTER) StartupEvent event) {
        long period = Math.max(1, config.heartbeatInterval().toMillis());
        timer.scheduleAtFixedRate(this::beat, 0, period, TimeUnit.MILLISECONDS);
    }

    /** The last heartbeat goes out while the job in progress is being handed back (priority 1), not after. */
    void stop(@Observes @Priority(99) ShutdownEvent event) {
        timer.shutdownNow();
    }

    WorkerHeartbeat heartbeat() {
        ImageGenerator generator = model.state() == ModelService.State.READY ? model.generator() : null;
        ModelInfo info = generator != null ? generator.info() : null;
        return new WorkerHeartbeat(WorkerHeartbeat.SCHEMA_VERSION, worker.workerId(), config.model(),
                isLocalFolder(config.model()) ? null : config.modelRevision(),
                info != null ? info.executionProvider() : null, activity.currentJob(), activity.meanStepSeconds(),
                config.heartbeatInterval().toNanos() / 1e9, startedAt, Instant.now(),
                generator != null && worker.sendsPreviews(info));
    }

    private void beat() {
        try {
            byte[] body = json.writeValueAsBytes(heartbeat());
            // Transient, and no per-message expiration: RabbitMQ reads `expiration` as a TTL, but the embedded
            // Qpid Broker-J of the local stack reads it as an absolute time, so every heartbeat arrived expired
            // there. The gateways' queues are exclusive and consumed all the time; nothing piles up.
            AMQP.BasicProperties properties = new AMQP.BasicProperties.Builder().contentType("application/json")
                    .deliveryMode(1).build();
            channel().basicPublish(topology.workersExchange(), Topology.HEARTBEAT_ROUTING_KEY, properties, body);
            if (failing) {
                LOG.infof("Heartbeats of worker %s are published again", worker.workerId());
                failing = false;
            }
        } catch (IOException | RuntimeException e) {
            // One line per outage: the broker connection recovers by itself, the next beat tries again.
            if (!failing) {
                LOG.warnf("Could not publish the heartbeat of worker %s: %s", worker.workerId(), e.getMessage());
                failing = true;
            }
        }
    }

    private Channel channel() throws IOException {
        if (channel == null || !channel.isOpen()) {
            channel = broker.get().createChannel();
        }
        return channel;
    }

    private static boolean isLocalFolder(String model) {
        try {
            return Files.isDirectory(Path.of(model));
        } catch (InvalidPathException e) {
            return false;
        }
    }
}
