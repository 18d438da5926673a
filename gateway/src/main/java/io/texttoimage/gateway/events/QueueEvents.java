package io.texttoimage.gateway.events;

import io.texttoimage.gateway.job.QueueEstimates;
import io.texttoimage.gateway.job.QueueEstimates.Forecast;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@code queue} SSE event of a queued job: its place in line and its estimate. Sent without an id (like
 * {@code worker-lost}: it does not move Last-Event-ID, and is never replayed) to a stream right after its first
 * state when that is {@code queued}, then to the job's streams on this replica whenever the forecast changes notably
 * ({@link Forecast#differsNotablyFrom}); the replica's periodic pass ({@code messaging.QueueEventPass}) computes
 * the forecasts of all its followed jobs at once.
 */
@ApplicationScoped
public class QueueEvents {
    public static final String NAME = "queue";

    /** The data of a {@code queue} event. */
    public record QueueNotice(UUID id, String status, QueueEstimates.QueuePlace queue,
                              QueueEstimates.Estimate estimate) {
        static QueueNotice of(UUID id, Forecast forecast) {
            return new QueueNotice(id, "queued", forecast.queue(), forecast.estimate());
        }
    }

    private final JobEventBroadcaster broadcaster;
    /**
     * The jobs whose streams here started queued, and the forecast last sent to them; a job is forgotten when no
     * stream follows it any more. (Kept here rather than asked of the broadcaster: the periodic pass must not bring
     * the broadcaster to life in a replica where nobody streams.)
     */
    private final ConcurrentHashMap<UUID, Forecast> lastSent = new ConcurrentHashMap<>();

    public QueueEvents(JobEventBroadcaster broadcaster) {
        this.broadcaster = broadcaster;
    }

    /** The jobs whose streams here started queued and are still open (as of the last {@link #update}). */
    public Set<UUID> watchedJobs() {
        return Set.copyOf(lastSent.keySet());
    }

    /** Tells the streams of each followed queued job its forecast if it changed notably; yields how many were told. */
    public int update(Map<UUID, Forecast> forecasts, Instant now) {
        lastSent.keySet().removeIf(id -> !broadcaster.isFollowed(id));
        int sent = 0;
        for (Map.Entry<UUID, Forecast> entry : forecasts.entrySet()) {
            UUID id = entry.getKey();
            Forecast forecast = entry.getValue();
            if (broadcaster.isFollowed(id) && forecast.differsNotablyFrom(lastSent.get(id), now)) {
                lastSent.put(id, forecast);
                broadcaster.notice(id, NAME, QueueNotice.of(id, forecast));
                sent++;
            }
        }
        return sent;
    }

    /** The event for one stream that has just sent its queued job's state. */
    SseFrame first(UUID id, Forecast forecast) {
        lastSent.putIfAbsent(id, forecast);
        return broadcaster.noticeFrame(id, NAME, QueueNotice.of(id, forecast));
    }
}
