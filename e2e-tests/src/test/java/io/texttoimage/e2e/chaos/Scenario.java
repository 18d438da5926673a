package io.texttoimage.e2e.chaos;

import java.time.Duration;
import java.util.List;

/**
 * What a run does: how many jobs over how long, which faults in which order, and the bounds the checks hold it to.
 * {@link #full} is {@code bin/chaos} without arguments; {@link #shortRun} is what CI runs (fewer jobs, a subset of
 * the faults, each named in the report).
 */
record Scenario(String name, int jobs, Duration loadDuration, int minSteps, int maxSteps, List<FaultKind> faults,
                Duration pauseBetweenFaults, int burstSize, int pixelSamples, Duration jobBound) {

    enum FaultKind {
        GENERATOR_KILL("generator SIGKILL at a random step, restarted"),
        GATEWAY_KILL_IN_BURST("gateway SIGKILL during a submission burst, restarted"),
        STORAGE_ADAPTER_KILL("storage adapter SIGKILL, restarted"),
        RABBITMQ_KILL("RabbitMQ kill -9, restarted on its data"),
        POSTGRES_RESTART("PostgreSQL stop (fast) and start"),
        S3_STOP("S3 stopped for 30 s"),
        PARTITION("a generator's link down for 20 s mid-job, process left running");

        final String description;

        FaultKind(String description) {
            this.description = description;
        }
    }

    static Scenario full(int jobs) {
        return new Scenario("full", jobs, Duration.ofMinutes(7), 40, 120, List.of(
                FaultKind.GENERATOR_KILL, FaultKind.GATEWAY_KILL_IN_BURST, FaultKind.GENERATOR_KILL,
                FaultKind.STORAGE_ADAPTER_KILL, FaultKind.RABBITMQ_KILL, FaultKind.GENERATOR_KILL,
                FaultKind.POSTGRES_RESTART, FaultKind.S3_STOP, FaultKind.PARTITION, FaultKind.GENERATOR_KILL),
                Duration.ofSeconds(12), 15, 3, Duration.ofMinutes(10));
    }

    /** The CI subset: each process kind killed once, the partition and the poison job; no server outages. */
    static Scenario shortRun(int jobs) {
        return new Scenario("short", jobs, Duration.ofSeconds(100), 20, 50, List.of(
                FaultKind.GENERATOR_KILL, FaultKind.GATEWAY_KILL_IN_BURST, FaultKind.STORAGE_ADAPTER_KILL,
                FaultKind.PARTITION),
                Duration.ofSeconds(5), 8, 1, Duration.ofMinutes(5));
    }
}
