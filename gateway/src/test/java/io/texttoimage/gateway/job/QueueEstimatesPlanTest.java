package io.texttoimage.gateway.job;

import io.texttoimage.contracts.WorkerHeartbeat;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The FIFO simulation behind the estimates, without a server: who is free when, and what is left unknown. */
class QueueEstimatesPlanTest {
    private static final Instant NOW = Instant.parse("2026-12-01T12:00:00Z");

    private static WorkerRegistry.Seen worker(String id, Map<String, Double> stepSeconds) {
        return new WorkerRegistry.Seen(new WorkerHeartbeat(WorkerHeartbeat.SCHEMA_VERSION, id, "m", null, "CPU", null,
                stepSeconds, 5, NOW, NOW), NOW);
    }

    private static JobStore.QueuedJob queued(int index, Integer size, int steps) {
        return new JobStore.QueuedJob(UUID.randomUUID(), NOW.minusSeconds(100 - index), size, size, steps, 1);
    }

    private static double secondsFromNow(Instant time) {
        return Duration.between(NOW, time).toMillis() / 1000.0;
    }

    @Test
    void jobsGoToTheWorkerFreeFirstAfterTheRunningJobsOwnRate() {
        // Worker a runs a job: step 5 of 25 after 10 s (2 s per step): 40 s left. Worker b is idle.
        JobStore.RunningProgress running = new JobStore.RunningProgress(UUID.randomUUID(), "a", 5, 25,
                NOW.minusSeconds(10), 512, 512, 1);
        List<JobStore.QueuedJob> queue = List.of(queued(0, 512, 20), queued(1, 512, 20), queued(2, 512, 20));
        QueueEstimates.Plan plan = QueueEstimates.Plan.make(NOW, queue, List.of(running),
                List.of(worker("a", Map.of("512x512", 1.0)), worker("b", Map.of("512x512", 1.0))), Map.of());
        // b takes the first at once (20 s), then the second at 20 s; a is free at 40 s and takes the third.
        double[][] expected = {{0, 20}, {20, 40}, {40, 60}};
        for (int i = 0; i < queue.size(); i++) {
            JobStore.QueuedJob job = queue.get(i);
            QueueEstimates.Forecast forecast = plan.forecast(job.id(), job.createdAt(), 512, 512, 20, 1, NOW);
            assertEquals(i + 1, forecast.queue().position());
            assertEquals(i, forecast.queue().jobsAhead());
            assertEquals(2, forecast.queue().liveWorkers());
            assertEquals(expected[i][0], secondsFromNow(forecast.estimate().startAt()), 0.01, "start of " + i);
            assertEquals(expected[i][1], secondsFromNow(forecast.estimate().finishAt()), 0.01, "finish of " + i);
            assertEquals(expected[i][1], forecast.estimate().remainingSeconds(), 0.01);
        }
    }

    @Test
    void anUnmeasuredSizeMakesItsFinishAndEveryLaterTimeUnknown() {
        List<JobStore.QueuedJob> queue = List.of(queued(0, 512, 10), queued(1, 64, 10), queued(2, 512, 10));
        QueueEstimates.Plan plan = QueueEstimates.Plan.make(NOW, queue, List.of(),
                List.of(worker("a", Map.of("512x512", 1.0))), Map.of());
        QueueEstimates.Estimate first = forecast(plan, queue.get(0)).estimate();
        QueueEstimates.Estimate unmeasured = forecast(plan, queue.get(1)).estimate();
        QueueEstimates.Estimate after = forecast(plan, queue.get(2)).estimate();
        assertEquals(10, secondsFromNow(first.finishAt()), 0.01);
        assertEquals(10, secondsFromNow(unmeasured.startAt()), 0.01, "it starts when the first ends");
        assertNull(unmeasured.finishAt(), "no worker has measured 64x64");
        assertNull(unmeasured.remainingSeconds());
        assertNull(after.startAt(), "behind a job of unknown length");
        assertNull(after.finishAt());
    }

    @Test
    void withoutWorkersNothingIsKnownButThePlace() {
        List<JobStore.QueuedJob> queue = List.of(queued(0, 512, 10), queued(1, 512, 10));
        QueueEstimates.Plan plan = QueueEstimates.Plan.make(NOW, queue, List.of(), List.of(), Map.of());
        QueueEstimates.Forecast second = forecast(plan, queue.get(1));
        assertEquals(2, second.queue().position());
        assertEquals(0, second.queue().liveWorkers());
        assertEquals(new QueueEstimates.Estimate(null, null, null), second.estimate());
    }

    @Test
    void aJobSubmittedAfterTheReadIsPlacedBehindTheJobsRead() {
        List<JobStore.QueuedJob> queue = List.of(queued(0, 512, 10));
        QueueEstimates.Plan plan = QueueEstimates.Plan.make(NOW, queue, List.of(),
                List.of(worker("a", Map.of("512x512", 1.0))), Map.of());
        QueueEstimates.Forecast late = plan.forecast(UUID.randomUUID(), NOW.plusSeconds(1), 512, 512, 5, 2, NOW);
        assertEquals(2, late.queue().position());
        assertEquals(10, secondsFromNow(late.estimate().startAt()), 0.01);
        assertEquals(20, secondsFromNow(late.estimate().finishAt()), 0.01, "5 steps × 1 s × 2 images");
    }

    @Test
    void eachJobTakesTheOverheadItsSizeShowedBeyondItsSteps() {
        List<JobStore.QueuedJob> queue = List.of(queued(0, 512, 10), queued(1, 512, 10));
        QueueEstimates.Plan plan = QueueEstimates.Plan.make(NOW, queue, List.of(),
                List.of(worker("a", Map.of("512x512", 1.0))), Map.of("512x512", 2.5));
        assertEquals(12.5, secondsFromNow(forecast(plan, queue.get(0)).estimate().finishAt()), 0.01);
        assertEquals(25, secondsFromNow(forecast(plan, queue.get(1)).estimate().finishAt()), 0.01);
    }

    @Test
    void smallWobblesAreNoNewsButAnotherPlaceIs() {
        QueueEstimates.QueuePlace third = new QueueEstimates.QueuePlace(3, 2, 2);
        QueueEstimates.Forecast before = new QueueEstimates.Forecast(third,
                new QueueEstimates.Estimate(NOW.plusSeconds(60), NOW.plusSeconds(100), 100.0));
        QueueEstimates.Forecast wobble = new QueueEstimates.Forecast(third,
                new QueueEstimates.Estimate(NOW.plusSeconds(61), NOW.plusSeconds(105), 105.0));
        QueueEstimates.Forecast later = new QueueEstimates.Forecast(third,
                new QueueEstimates.Estimate(NOW.plusSeconds(60), NOW.plusSeconds(120), 120.0));
        QueueEstimates.Forecast movedUp = new QueueEstimates.Forecast(new QueueEstimates.QueuePlace(2, 1, 2),
                before.estimate());
        assertFalse(wobble.differsNotablyFrom(before, NOW), "5 s of 100: under 10 %");
        assertTrue(later.differsNotablyFrom(before, NOW), "20 s of 100");
        assertTrue(movedUp.differsNotablyFrom(before, NOW));
        assertTrue(before.differsNotablyFrom(null, NOW), "the first one is news");
    }

    private static QueueEstimates.Forecast forecast(QueueEstimates.Plan plan, JobStore.QueuedJob job) {
        return plan.forecast(job.id(), job.createdAt(), job.width(), job.height(), job.numSteps(), job.numImages(),
                NOW);
    }
}
