package io.texttoimage.generator.service;

import io.micrometer.core.instrument.Timer;
import io.texttoimage.pipeline.ProgressListener;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Turns the pipeline's per-step callbacks into PROGRESS events, at most one per {@code interval} (the last step is
 * always sent, so clients see 100 %), and records each step's duration.
 */
final class StepReporter implements ProgressListener {

    /** Where PROGRESS goes: {@link JobEvents#progress} in the worker. */
    @FunctionalInterface
    interface ProgressSink {
        void progress(int step, int totalSteps) throws IOException;
    }

    private final ProgressSink events;
    private final long intervalNanos;
    private final Timer stepTimer;
    private final LongSupplier nanoClock;
    private long lastSentNanos = Long.MIN_VALUE;
    private Duration previousElapsed = Duration.ZERO;
    private volatile int lastStep;
    private volatile int totalSteps;

    StepReporter(ProgressSink events, Duration interval, Timer stepTimer) {
        this(events, interval, stepTimer, System::nanoTime);
    }

    /** {@code nanoClock} measures the throttle interval; tests pass their own so no test depends on real time. */
    StepReporter(ProgressSink events, Duration interval, Timer stepTimer, LongSupplier nanoClock) {
        this.events = events;
        this.intervalNanos = interval.toNanos();
        this.stepTimer = stepTimer;
        this.nanoClock = nanoClock;
    }

    @Override
    public void onStep(int step, int total, Duration elapsed) {
        stepTimer.record(elapsed.minus(previousElapsed).toNanos(), TimeUnit.NANOSECONDS);
        previousElapsed = elapsed;
        lastStep = step;
        totalSteps = total;
        long now = nanoClock.getAsLong();
        if (step == total || lastSentNanos == Long.MIN_VALUE || now - lastSentNanos >= intervalNanos) {
            lastSentNanos = now;
            try {
                events.progress(step, total);
            } catch (IOException e) {
                // Surfaces through generate(); the job is then requeued rather than run blind.
                throw new UncheckedIOException(e);
            }
        }
    }

    int lastStep() {
        return lastStep;
    }

    /** The number of UNet evaluations once known (PNDM runs one more than requested), else the requested steps. */
    int totalSteps(int requestedSteps) {
        return totalSteps > 0 ? totalSteps : requestedSteps;
    }
}
