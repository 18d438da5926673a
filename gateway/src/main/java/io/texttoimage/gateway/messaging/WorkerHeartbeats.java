package io.texttoimage.gateway.messaging;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.texttoimage.broker.BrokerSettings;
import io.texttoimage.broker.Declaration;
import io.texttoimage.broker.RecoveringSubscription;
import io.texttoimage.broker.Topology;
import io.texttoimage.broker.TopologyDeclarer;
import io.texttoimage.contracts.WorkerHeartbeat;
import io.texttoimage.gateway.config.GatewayConfig;
import io.texttoimage.gateway.events.JobEventBroadcaster;
import io.texttoimage.gateway.job.JobStatus;
import io.texttoimage.gateway.job.JobStore;
import io.texttoimage.gateway.job.WorkerRegistry;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Hears every generator's heartbeat through this replica's own exclusive auto-delete queue
 * ({@code <prefix>.workers.gateway-<instance-id>}, {@link Topology#workersQueue}) and keeps the {@link WorkerRegistry}.
 * When a worker misses its beats, the SSE streams open here of the jobs it was running get one {@code worker-lost}
 * event; the records say it by themselves when read ({@link WorkerRegistry#lost}).
 */
@ApplicationScoped
public class WorkerHeartbeats {
    private static final Logger LOG = Logger.getLogger(WorkerHeartbeats.class);
    /** SSE event name of a lost worker's notice. */
    public static final String WORKER_LOST_EVENT = "worker-lost";
    /** How often the registry is looked at for workers that just went silent: in memory, a database read only then. */
    private static final long LOSS_CHECK_MS = 250;

    /** The data of a {@code worker-lost} event. */
    public record WorkerLostNotice(UUID id, String status, String workerId, Instant workerLostAt, String note) {
    }

    private final WorkerRegistry registry;
    private final JobStore store;
    private final JobEventBroadcaster broadcaster;
    private final JsonCodec codec;
    private final RecoveringSubscription subscription;
    private final Vertx vertx;
    private long timerId = -1;

    public WorkerHeartbeats(WorkerRegistry registry, JobStore store, JobEventBroadcaster broadcaster, JsonCodec codec,
                            BrokerSettings broker, Topology topology, GatewayConfig config, Vertx vertx) {
        this.vertx = vertx;
        this.registry = registry;
        this.store = store;
        this.broadcaster = broadcaster;
        this.codec = codec;
        Declaration ownQueue = topology.workersQueue(config.instanceId());
        this.subscription = new RecoveringSubscription(broker, "gateway-worker-heartbeats", channel -> {
            String queue = TopologyDeclarer.declareQueue(channel, ownQueue);
            channel.basicConsume(queue, true, new DefaultConsumer(channel) {
                @Override
                public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties properties,
                                           byte[] body) {
                    onHeartbeat(body);
                }
            });
            LOG.infof("Receiving worker heartbeats on %s", queue);
        });
    }

    void start(@Observes StartupEvent event) {
        subscription.start();
        timerId = vertx.setPeriodic(LOSS_CHECK_MS, id -> announceLostWorkers());
    }

    void stop(@Observes ShutdownEvent event) {
        if (timerId >= 0) {
            vertx.cancelTimer(timerId);
        }
        subscription.close();
    }

    void onHeartbeat(byte[] body) {
        try {
            registry.heard(codec.decode(body, WorkerHeartbeat.class));
        } catch (RuntimeException e) {
            LOG.warnf("Ignoring an unreadable worker heartbeat: %s", e.getMessage());
        }
    }

    /** Tells the open streams of each newly lost worker's running jobs, confirmed by their rows. */
    private void announceLostWorkers() {
        List<String> lost = registry.newlyLost();
        if (!lost.isEmpty()) {
            LOG.warnf("Worker(s) %s missed %d heartbeats: lost", lost, WorkerHeartbeat.MISSED_BEATS_UNTIL_LOST);
            announce(lost, WorkerHeartbeat.MISSED_BEATS_UNTIL_LOST);
        }
    }

    /**
     * The row of a job may have changed within the last interval (its last progress, flushed late): then it is
     * looked at again one interval later, a few times at most; a job that keeps progressing is not lost.
     */
    private void announce(List<String> workers, int triesLeft) {
        store.runningOn(workers).subscribe().with(jobs -> {
            List<String> notYet = new ArrayList<>();
            for (JobStore.RunningJob job : jobs) {
                if (!broadcaster.isFollowed(job.id())) {
                    continue;
                }
                WorkerRegistry.WorkerLost verdict = registry.lost(JobStatus.RUNNING, job.workerId(), job.updatedAt());
                if (verdict != null) {
                    broadcaster.notice(job.id(), WORKER_LOST_EVENT, new WorkerLostNotice(job.id(), "running",
                            verdict.workerId(), verdict.at(), verdict.note()));
                } else if (!registry.isLive(job.workerId()) && !notYet.contains(job.workerId())) {
                    notYet.add(job.workerId());
                }
            }
            if (!notYet.isEmpty() && triesLeft > 1) {
                long delayMs = Math.max(LOSS_CHECK_MS, registry.intervalOf(notYet.getFirst()).toMillis());
                vertx.setTimer(delayMs, id -> announce(notYet, triesLeft - 1));
            }
        }, failure -> LOG.warnf("Could not read the jobs of lost worker(s) %s: %s", workers, failure.getMessage()));
    }
}
