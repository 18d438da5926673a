package io.texttoimage.generator.service;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * Job ids whose cancellation was broadcast. Cancels arrive on every worker, while the job may still sit in the queue:
 * remembering them lets whichever worker later receives the job skip it. Bounded (oldest evicted first) and
 * time-limited, because most cancelled ids belong to jobs that ran elsewhere and will never come here.
 */
@ApplicationScoped
public class CancelledJobs {

    private final int maxSize;
    private final Duration ttl;
    private final Clock clock;
    private final LinkedHashMap<UUID, Instant> cancelledAt = new LinkedHashMap<>();

    @Inject
    public CancelledJobs(GeneratorConfig config) {
        this(config.cancelledIds().maxSize(), config.cancelledIds().ttl(), Clock.systemUTC());
    }

    CancelledJobs(int maxSize, Duration ttl, Clock clock) {
        this.maxSize = Math.max(1, maxSize);
        this.ttl = ttl;
        this.clock = clock;
    }

    public synchronized void add(UUID jobId) {
        evictExpired();
        cancelledAt.remove(jobId);
        cancelledAt.put(jobId, clock.instant());
        while (cancelledAt.size() > maxSize) {
            Iterator<UUID> oldest = cancelledAt.keySet().iterator();
            oldest.next();
            oldest.remove();
        }
    }

    public synchronized boolean contains(UUID jobId) {
        evictExpired();
        return cancelledAt.containsKey(jobId);
    }

    public synchronized int size() {
        evictExpired();
        return cancelledAt.size();
    }

    /** Entries are in insertion order, so expired ones are at the front. */
    private void evictExpired() {
        Instant limit = clock.instant().minus(ttl);
        Iterator<Map.Entry<UUID, Instant>> entries = cancelledAt.entrySet().iterator();
        while (entries.hasNext() && entries.next().getValue().isBefore(limit)) {
            entries.remove();
        }
    }
}
