package io.texttoimage.gateway.job;

import io.texttoimage.contracts.WorkerHeartbeat;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/** When a worker is live, and when a running job's worker is lost, on a clock the test moves. */
class WorkerRegistryTest {
    private static final Instant START = Instant.parse("2026-12-01T12:00:00Z");
    private final AtomicReference<Instant> now = new AtomicReference<>(START);
    private final WorkerRegistry registry = new WorkerRegistry(now::get);

    private void at(double seconds) {
        now.set(START.plusMillis((long) (seconds * 1000)));
    }

    private static WorkerHeartbeat beat(String worker, double interval) {
        return new WorkerHeartbeat(WorkerHeartbeat.SCHEMA_VERSION, worker, "m", "main", "CPU", null, Map.of(),
                interval, START, Instant.now());
    }

    @Test
    void aWorkerIsLiveUntilItMissesThreeOfItsOwnIntervals() {
        registry.heard(beat("fast", 1));
        registry.heard(beat("slow", 10));
        at(2.9);
        assertEquals(List.of("fast", "slow"), registry.live().stream().map(s -> s.heartbeat().workerId()).toList());
        at(3.0);
        assertEquals(List.of("slow"), registry.live().stream().map(s -> s.heartbeat().workerId()).toList());
        assertEquals(List.of("fast"), registry.newlyLost());
        assertEquals(List.of(), registry.newlyLost(), "each loss is announced once");
        registry.heard(beat("fast", 1));
        assertEquals(2, registry.live().size(), "a worker that beats again is live again");
    }

    @Test
    void aRunningJobIsLostOnceItsWorkerIsSilentAndItsRowQuiet() {
        registry.heard(beat("w", 1));
        Instant lastProgress = START.plusMillis(2500);
        at(2.5);
        assertNull(registry.lost(JobStatus.RUNNING, "w", lastProgress), "live");
        at(3.2);
        assertNull(registry.lost(JobStatus.RUNNING, "w", lastProgress), "silent, but its row changed 0.7 s ago");
        at(3.5);
        WorkerRegistry.WorkerLost lost = registry.lost(JobStatus.RUNNING, "w", lastProgress);
        assertNotNull(lost);
        assertEquals(START.plusMillis(3500), lost.at(), "the later of: silent for 3 intervals, row quiet for 1");
        assertEquals("worker w lost at 2026-12-01T12:00:03.500Z; waiting for another worker", lost.note());
        assertNull(registry.lost(JobStatus.QUEUED, "w", lastProgress), "only a running job has a worker to lose");
        assertNull(registry.lost(JobStatus.SUCCEEDED, "w", lastProgress));
    }

    @Test
    void aWorkerNeverHeardFromIsLostOnlyOnceTheReplicaHasListenedLongEnough() {
        Instant updated = START.minusSeconds(60);
        at(14.9);
        assertNull(registry.lost(JobStatus.RUNNING, "unknown", updated), "it may not have beaten yet since start");
        at(15);
        assertEquals(START.plusSeconds(15), registry.lost(JobStatus.RUNNING, "unknown", updated).at(),
                "three of the default 5 s intervals after the replica started listening");
        assertEquals(Duration.ofSeconds(5), registry.intervalOf("unknown"));
    }
}
