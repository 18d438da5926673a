package io.texttoimage.gateway.job;

import io.texttoimage.contracts.WorkerHeartbeat;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The generators this replica has heard from, in memory: every replica hears every heartbeat (its own queue on the
 * workers fanout), so each builds the same registry by itself and nothing is shared or stored. A worker is live until
 * it has missed {@link WorkerHeartbeat#MISSED_BEATS_UNTIL_LOST} of the intervals it announces itself; after that it
 * is remembered as lost for {@link #FORGET_AFTER}, so that the records of its jobs can say since when.
 *
 * <p>"Worker lost" is computed when a record is read, from this registry and the job's row, never written to the
 * database: every replica reaches the same verdict from the heartbeats it heard, a new RUNNING or PROGRESS from
 * another worker (the redelivery) clears it by changing the row, and there is no write to undo or to race.
 */
@ApplicationScoped
public class WorkerRegistry {
    /** Assumed interval of a worker this replica never heard from, when no worker announced another. */
    static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(5);
    /** How long a lost worker is remembered. */
    static final Duration FORGET_AFTER = Duration.ofHours(1);
    /** What the record and the stream say about a job whose worker is lost. */
    public static final String WAITING_NOTE = "waiting for another worker";

    /** One worker's last heartbeat and when this replica received it (its own clock: no skew between hosts). */
    public record Seen(WorkerHeartbeat heartbeat, Instant receivedAt) {
        Duration interval() {
            return heartbeat.intervalSeconds() > 0 ? Duration.ofNanos((long) (heartbeat.intervalSeconds() * 1e9))
                    : DEFAULT_INTERVAL;
        }

        /** When it stops being live unless another heartbeat arrives. */
        public Instant expiresAt() {
            return receivedAt.plus(interval().multipliedBy(WorkerHeartbeat.MISSED_BEATS_UNTIL_LOST));
        }

        public boolean liveAt(Instant now) {
            return now.isBefore(expiresAt());
        }
    }

    /** A running job's lost worker: for its record and its stream. */
    public record WorkerLost(String workerId, Instant at, String note) {
    }

    private final ConcurrentHashMap<String, Seen> workers = new ConcurrentHashMap<>();
    /** Workers already announced as lost to the streams ({@link #newlyLost}). */
    private final java.util.Set<String> announced = ConcurrentHashMap.newKeySet();
    private final Supplier<Instant> clock;
    private final Instant listeningSince;

    public WorkerRegistry() {
        this(Instant::now);
    }

    WorkerRegistry(Supplier<Instant> clock) {
        this.clock = clock;
        this.listeningSince = clock.get();
    }

    public void heard(WorkerHeartbeat heartbeat) {
        if (heartbeat.workerId() == null || heartbeat.workerId().isBlank()) {
            return;
        }
        Instant now = clock.get();
        workers.merge(heartbeat.workerId(), new Seen(heartbeat, now),
                (old, fresh) -> fresh.heartbeat().at() != null && old.heartbeat().at() != null
                        && fresh.heartbeat().at().isBefore(old.heartbeat().at()) ? old : fresh);
        announced.remove(heartbeat.workerId());
        workers.values().removeIf(seen -> seen.expiresAt().plus(FORGET_AFTER).isBefore(now));
    }

    /** The live workers, by worker id. */
    public List<Seen> live() {
        Instant now = clock.get();
        List<Seen> live = new ArrayList<>();
        workers.values().stream().filter(seen -> seen.liveAt(now)).forEach(live::add);
        live.sort(Comparator.comparing(seen -> seen.heartbeat().workerId()));
        return live;
    }

    public boolean isLive(String workerId) {
        Seen seen = workers.get(workerId);
        return seen != null && seen.liveAt(clock.get());
    }

    /** Workers that went from live to lost since the last call: each is returned once per loss. */
    public List<String> newlyLost() {
        Instant now = clock.get();
        List<String> lost = new ArrayList<>();
        workers.forEach((id, seen) -> {
            if (!seen.liveAt(now) && announced.add(id)) {
                lost.add(id);
            }
        });
        return lost;
    }

    /**
     * Whether a job that the database says is running on {@code workerId}, last updated at {@code updatedAt}, has
     * lost its worker, and since when; null while the worker is live or the job is not running. A job is lost when
     * its worker has missed its beats <em>and</em> its row has not changed for one of the worker's intervals (a job
     * that still progresses is not lost, whatever its worker's heartbeats do). A worker this replica never heard from counts as lost once
     * the replica has listened for longer than three intervals (it would have heard it by then).
     */
    public WorkerLost lost(JobStatus status, String workerId, Instant updatedAt) {
        if (status != JobStatus.RUNNING || workerId == null) {
            return null;
        }
        Instant now = clock.get();
        Seen seen = workers.get(workerId);
        Duration interval = seen != null ? seen.interval() : assumedInterval();
        Instant silentSince = seen != null ? seen.expiresAt()
                : listeningSince.plus(interval.multipliedBy(WorkerHeartbeat.MISSED_BEATS_UNTIL_LOST));
        // One interval is enough for the row: a job that still progresses updates it every flush interval.
        Instant rowQuietSince = updatedAt == null ? silentSince : updatedAt.plus(interval);
        Instant lostAt = silentSince.isAfter(rowQuietSince) ? silentSince : rowQuietSince;
        if (now.isBefore(lostAt) || seen != null && seen.liveAt(now)) {
            return null;
        }
        return new WorkerLost(workerId, lostAt, "worker " + workerId + " lost at " + lostAt + "; " + WAITING_NOTE);
    }

    /** The interval a worker announced, or the one assumed for a worker never heard from. */
    public Duration intervalOf(String workerId) {
        Seen seen = workers.get(workerId);
        return seen != null ? seen.interval() : assumedInterval();
    }

    /** The longest interval any worker announces (a lone slow worker must not be called lost early). */
    private Duration assumedInterval() {
        return workers.values().stream().map(Seen::interval).max(Comparator.naturalOrder()).orElse(DEFAULT_INTERVAL);
    }
}
