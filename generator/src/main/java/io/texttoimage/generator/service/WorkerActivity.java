package io.texttoimage.generator.service;

import io.texttoimage.contracts.WorkerHeartbeat;
import io.texttoimage.pipeline.ProgressListener;
import io.texttoimage.pipeline.preview.StepLatents;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/**
 * What the worker is doing, for its heartbeat: the job it runs now (and its step), and the mean time of one UNet
 * evaluation per image size over the jobs it ran. Written by the job thread, read by the heartbeat thread.
 */
@ApplicationScoped
public class WorkerActivity {

    private record Running(UUID jobId, String size, int step, int totalSteps) {
    }

    /** Sum and count of one size's step times. */
    private static final class StepTimes {
        double seconds;
        long steps;
    }

    private volatile Running running;
    private volatile long idleSince = System.nanoTime();
    private final Map<String, StepTimes> stepTimes = new TreeMap<>();

    /** The job is running from now on (its RUNNING event was sent); no step done yet. */
    void started(UUID jobId, int width, int height, int totalSteps) {
        running = new Running(jobId, WorkerHeartbeat.sizeKey(width, height), 0, totalSteps);
    }

    /** Counts each step and times it, wrapping the listener that reports the steps (and their latents). */
    ProgressListener tracking(ProgressListener reporter) {
        Duration[] previous = {Duration.ZERO};
        return new ProgressListener() {
            @Override
            public void onStep(int step, int totalSteps, Duration elapsed) {
                Running now = running;
                if (now != null) {
                    record(now.size(), elapsed.minus(previous[0]));
                    running = new Running(now.jobId(), now.size(), step, totalSteps);
                }
                previous[0] = elapsed;
                reporter.onStep(step, totalSteps, elapsed);
            }

            @Override
            public void onLatents(int step, int totalSteps, StepLatents latents) {
                reporter.onLatents(step, totalSteps, latents);
            }
        };
    }

    /** The job ended (whatever the outcome) or was handed back: the worker is idle. */
    void finished() {
        running = null;
        idleSince = System.nanoTime();
    }

    /** How long no job has been running (zero while one runs); since start-up if none ran yet. */
    Duration idleFor() {
        return running != null ? Duration.ZERO : Duration.ofNanos(System.nanoTime() - idleSince);
    }

    private synchronized void record(String size, Duration step) {
        StepTimes times = stepTimes.computeIfAbsent(size, key -> new StepTimes());
        times.seconds += step.toNanos() / 1e9;
        times.steps++;
    }

    /** The job running now, or null when idle. */
    WorkerHeartbeat.CurrentJob currentJob() {
        Running now = running;
        return now == null ? null : new WorkerHeartbeat.CurrentJob(now.jobId(), now.step(), now.totalSteps());
    }

    /** Mean seconds per UNet evaluation, by {@code "WxH"}, of every step this worker ran. */
    synchronized Map<String, Double> meanStepSeconds() {
        Map<String, Double> means = new TreeMap<>();
        stepTimes.forEach((size, times) -> means.put(size, times.seconds / times.steps));
        return means;
    }
}
