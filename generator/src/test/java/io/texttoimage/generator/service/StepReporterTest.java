package io.texttoimage.generator.service;

import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;

class StepReporterTest {

    private final Timer stepTimer = new SimpleMeterRegistry().timer("step");

    @Test
    void zeroIntervalReportsEveryStepAndTimesEachOne() throws Exception {
        List<Integer> sent = new ArrayList<>();
        StepReporter reporter = new StepReporter((step, total) -> sent.add(step), Duration.ZERO, stepTimer);
        for (int step = 1; step <= 5; step++) {
            reporter.onStep(step, 5, Duration.ofMillis(10L * step));
        }
        assertEquals(List.of(1, 2, 3, 4, 5), sent);
        assertEquals(5, stepTimer.count());
        assertEquals(50, stepTimer.totalTime(TimeUnit.MILLISECONDS), 0.001, "per-step deltas, not cumulative times");
        assertEquals(5, reporter.lastStep());
        assertEquals(5, reporter.totalSteps(4), "the pipeline's count of UNet evaluations wins once known");
    }

    @Test
    void longIntervalSendsTheFirstAndTheLastStepOnly() {
        List<Integer> sent = new ArrayList<>();
        StepReporter reporter = new StepReporter((step, total) -> sent.add(step), Duration.ofHours(1), stepTimer);
        for (int step = 1; step <= 20; step++) {
            reporter.onStep(step, 20, Duration.ofMillis(step));
        }
        assertEquals(List.of(1, 20), sent);
    }

    @Test
    void throttlesByWallTime() {
        List<Integer> sent = new ArrayList<>();
        AtomicLong nanos = new AtomicLong();
        StepReporter reporter = new StepReporter((step, total) -> sent.add(step), Duration.ofMillis(50), stepTimer,
                nanos::get);
        reporter.onStep(1, 5, Duration.ofMillis(1)); // first: always sent
        nanos.addAndGet(Duration.ofMillis(49).toNanos());
        reporter.onStep(2, 5, Duration.ofMillis(2)); // 49 ms after step 1: dropped
        nanos.addAndGet(Duration.ofMillis(1).toNanos());
        reporter.onStep(3, 5, Duration.ofMillis(3)); // 50 ms after step 1: sent
        nanos.addAndGet(Duration.ofMillis(10).toNanos());
        reporter.onStep(4, 5, Duration.ofMillis(4)); // 10 ms after step 3: dropped (measured from the last one sent)
        reporter.onStep(5, 5, Duration.ofMillis(5)); // last: always sent
        assertEquals(List.of(1, 3, 5), sent);
        assertEquals(4, new StepReporter((s, t) -> { }, Duration.ZERO, stepTimer).totalSteps(4),
                "before any step, the requested count");
    }
}
