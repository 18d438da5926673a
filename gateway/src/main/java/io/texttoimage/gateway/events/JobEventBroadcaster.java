package io.texttoimage.gateway.events;

import io.micrometer.core.instrument.MeterRegistry;
import io.texttoimage.contracts.JobEvent;
import io.texttoimage.gateway.messaging.JsonCodec;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * In-memory fan-out of this replica's live job events to the SSE streams open on it. Every replica
 * receives every event through its own queue, so a client may connect to any replica.
 */
@ApplicationScoped
public class JobEventBroadcaster {
    private static final Logger LOG = Logger.getLogger(JobEventBroadcaster.class);

    private final ConcurrentHashMap<UUID, Set<Consumer<SseFrame>>> listenersByJob = new ConcurrentHashMap<>();
    private final AtomicInteger subscribers = new AtomicInteger();
    private final JsonCodec codec;

    public JobEventBroadcaster(MeterRegistry registry, JsonCodec codec) {
        this.codec = codec;
        registry.gauge("t2i.gateway.sse.subscribers", subscribers);
    }

    /** The SSE form of a view, serialised once; heartbeats carry no id, so they do not move Last-Event-ID. */
    SseFrame frame(String name, JobEventView view) {
        return SseFrame.of(name, view, codec.encode(view), !JobEventView.HEARTBEAT.equals(name));
    }

    /** Registers a listener for one job's events; run the returned action to unregister it. */
    Runnable subscribe(UUID jobId, Consumer<SseFrame> listener) {
        listenersByJob.compute(jobId, (id, set) -> {
            Set<Consumer<SseFrame>> listeners = set != null ? set : ConcurrentHashMap.newKeySet();
            listeners.add(listener);
            return listeners;
        });
        subscribers.incrementAndGet();
        return () -> listenersByJob.computeIfPresent(jobId, (id, set) -> {
            if (set.remove(listener)) {
                subscribers.decrementAndGet();
            }
            return set.isEmpty() ? null : set;
        });
    }

    public void publish(JobEvent event) {
        Set<Consumer<SseFrame>> listeners = listenersByJob.get(event.jobId());
        if (listeners == null || listeners.isEmpty()) {
            return;
        }
        SseFrame frame = frame(JobEventView.eventName(event.type()), JobEventView.of(event));
        for (Consumer<SseFrame> listener : listeners) {
            try {
                listener.accept(frame);
            } catch (RuntimeException e) {
                LOG.warnf(e, "SSE listener of job %s failed", event.jobId());
            }
        }
    }
}
