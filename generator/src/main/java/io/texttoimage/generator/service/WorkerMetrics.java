package io.texttoimage.generator.service;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;

/** {@code t2i_generator_jobs_total{outcome}}, {@code t2i_generator_step_seconds}, {@code t2i_generator_job_seconds}. */
final class WorkerMetrics {
    private final Map<JobWorker.Outcome, Counter> jobs = new EnumMap<>(JobWorker.Outcome.class);
    private final Timer stepTimer;
    private final Timer jobTimer;
    private final MeterRegistry registry;

    WorkerMetrics(MeterRegistry registry) {
        this.registry = registry;
        for (JobWorker.Outcome outcome : JobWorker.Outcome.values()) {
            jobs.put(outcome, Counter.builder("t2i.generator.jobs")
                    .description("Jobs this worker finished, by outcome")
                    .tag("outcome", outcome.name().toLowerCase(Locale.ROOT))
                    .register(registry));
        }
        stepTimer = Timer.builder("t2i.generator.step").description("Time of one denoising step (UNet evaluation)")
                .publishPercentileHistogram().register(registry);
        jobTimer = Timer.builder("t2i.generator.job").description("Time from RUNNING to SUCCEEDED of one job")
                .register(registry);
    }

    void count(JobWorker.Outcome outcome) {
        jobs.get(outcome).increment();
    }

    Timer stepTimer() {
        return stepTimer;
    }

    Timer.Sample startJob() {
        return Timer.start(registry);
    }

    void stopJob(Timer.Sample sample) {
        sample.stop(jobTimer);
    }
}
