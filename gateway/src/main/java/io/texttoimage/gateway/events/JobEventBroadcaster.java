package io.texttoimage.gateway.events;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.MeterRegistry;
import io.texttoimage.contracts.JobEvent;
import io.texttoimage.contracts.JobPreview;
import io.texttoimage.gateway.job.QueueEstimates;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * In-memory fan-out of this replica's live job events to the SSE streams open on it. Every replica
 * receives every event through its own queue, so a client may connect to any replica.
 */
@ApplicationScoped
public class JobEventBroadcaster {
    private static final Logger LOG = Logger.getLogger(JobEventBroadcaster.class);

    private final ConcurrentHashMap<UUID, Set<Consumer<SseFrame>>> listenersByJob = new ConcurrentHashMap<>();
    /**
     * The newest event of each recent job as this replica saw it. A stream that opens mid-job starts from the
     * database row, whose progress is written at most once per flush interval; events broadcast before the stream
     * subscribed would otherwise be missed until the next one (with two fast steps, until the terminal event).
     */
    private final ConcurrentHashMap<UUID, Latest> latestByJob = new ConcurrentHashMap<>();
    /** The newest preview of each running job that sends them, for a stream that opens between two previews. */
    private final ConcurrentHashMap<UUID, Latest> latestPreviewByJob = new ConcurrentHashMap<>();
    /** SSE event name of a live preview ({@link JobPreviewView}): no id, it does not change the job's state. */
    public static final String PREVIEW_EVENT = "preview";
    /** How long the newest event of a quiet job is kept: far longer than any database write takes. */
    static final long LATEST_KEPT_NANOS = 120_000_000_000L;

    private final AtomicInteger subscribers = new AtomicInteger();
    private final ObjectMapper json;
    /** A running or progress event's estimate (and what the estimates learn from every event). */
    private final Function<JobEvent, QueueEstimates.Estimate> estimates;

    /** @param json the application's mapper (snake_case, ISO-8601 instants), as every JSON answer of the API */
    @Inject
    public JobEventBroadcaster(MeterRegistry registry, ObjectMapper json, Vertx vertx, QueueEstimates estimates) {
        this(registry, json, vertx, estimates::heard);
    }

    /** Without estimates (every event's is null). */
    JobEventBroadcaster(MeterRegistry registry, ObjectMapper json, Vertx vertx) {
        this(registry, json, vertx, event -> null);
    }

    private JobEventBroadcaster(MeterRegistry registry, ObjectMapper json, Vertx vertx,
                                Function<JobEvent, QueueEstimates.Estimate> estimates) {
        this.json = json;
        this.estimates = estimates;
        registry.gauge("t2i.gateway.sse.subscribers", subscribers);
        vertx.setPeriodic(30_000, id -> forgetQuietJobs());
    }

    private record Latest(SseFrame frame, long atNanos) {
    }

    /** The SSE form of a view, serialised once; heartbeats carry no id, so they do not move Last-Event-ID. */
    SseFrame frame(String name, JobEventView view) {
        return SseFrame.of(name, view, encode(view), !JobEventView.HEARTBEAT.equals(name));
    }

    private String encode(JobEventView view) {
        try {
            return json.writeValueAsString(view);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("Cannot encode the SSE event of job " + view.id(), e);
        }
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

    /** The newest event this replica has seen of the job (held for {@link #LATEST_KEPT_NANOS}), or null. */
    SseFrame latest(UUID jobId) {
        Latest latest = latestByJob.get(jobId);
        return latest == null ? null : latest.frame();
    }

    /** Forgets the newest events of jobs that have been quiet for a while (called periodically). */
    void forgetQuietJobs() {
        long now = System.nanoTime();
        latestByJob.values().removeIf(latest -> now - latest.atNanos() > LATEST_KEPT_NANOS);
        latestPreviewByJob.values().removeIf(latest -> now - latest.atNanos() > LATEST_KEPT_NANOS);
    }

    public void publish(JobEvent event) {
        JobEventView view = JobEventView.of(event).withEstimate(estimates.apply(event));
        SseFrame frame = frame(JobEventView.eventName(event.type()), view);
        Latest latest = new Latest(frame, System.nanoTime());
        latestByJob.merge(event.jobId(), latest,
                (old, now) -> now.frame().sequence() >= old.frame().sequence() ? now : old);
        if (event.type().isTerminal()) {
            latestPreviewByJob.remove(event.jobId()); // the image itself is next; a late stream needs no preview
        }
        deliver(event.jobId(), frame);
    }

    /**
     * Streams a live preview to the job's streams open here that want previews, as a notice (no id: it never moves
     * Last-Event-ID, and is never replayed), and keeps it as the job's latest for streams that open later.
     */
    public void preview(JobPreview preview) {
        String text;
        try {
            text = json.writeValueAsString(JobPreviewView.of(preview));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("Cannot encode the preview of job " + preview.jobId(), e);
        }
        SseFrame frame = SseFrame.notice(PREVIEW_EVENT, text);
        latestPreviewByJob.put(preview.jobId(), new Latest(frame, System.nanoTime()));
        deliver(preview.jobId(), frame);
    }

    /** The newest preview this replica has of the job while it runs, or null. */
    SseFrame latestPreview(UUID jobId) {
        Latest latest = latestPreviewByJob.get(jobId);
        return latest == null ? null : latest.frame();
    }

    /** Whether any stream of the job is open on this replica. */
    public boolean isFollowed(UUID jobId) {
        Set<Consumer<SseFrame>> listeners = listenersByJob.get(jobId);
        return listeners != null && !listeners.isEmpty();
    }

    /**
     * Tells the streams of a job open now something that does not change its state ({@code worker-lost}): an SSE
     * event without an id, so the client's Last-Event-ID stays where it was, and never replayed.
     */
    public void notice(UUID jobId, String name, Object data) {
        deliver(jobId, noticeFrame(jobId, name, data));
    }

    SseFrame noticeFrame(UUID jobId, String name, Object data) {
        try {
            return SseFrame.notice(name, json.writeValueAsString(data));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("Cannot encode the " + name + " event of job " + jobId, e);
        }
    }

    private void deliver(UUID jobId, SseFrame frame) {
        Set<Consumer<SseFrame>> listeners = listenersByJob.get(jobId);
        if (listeners == null || listeners.isEmpty()) {
            return;
        }
        for (Consumer<SseFrame> listener : listeners) {
            try {
                listener.accept(frame);
            } catch (RuntimeException e) {
                LOG.warnf(e, "SSE listener of job %s failed", jobId);
            }
        }
    }
}
