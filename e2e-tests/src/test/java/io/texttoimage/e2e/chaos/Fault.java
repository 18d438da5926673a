package io.texttoimage.e2e.chaos;

import java.time.Duration;
import java.time.Instant;

/**
 * One fault injected during the run: what, when it started, when the system was given back what it lost (the
 * process restarted, the server started again, the link up), and what it hit (the job whose worker was killed).
 */
final class Fault {
    final String name;
    final String detail;
    final Instant injectedAt;
    volatile Instant healedAt;
    volatile String hit = "";
    /** The short job submitted right after the heal: when it was accepted and when it finished. */
    volatile ChaosClient.Submission probe;

    Fault(String name, String detail) {
        this.name = name;
        this.detail = detail;
        this.injectedAt = Instant.now();
    }

    void healed() {
        healedAt = Instant.now();
    }

    /** How long the fault held (injection to heal). */
    Duration outage() {
        return healedAt == null ? Duration.ZERO : Duration.between(injectedAt, healedAt);
    }

    /** Until when a documented 503 is expected: the fault, plus the time the services take to reconnect. */
    Instant expects503Until(Duration grace) {
        return (healedAt == null ? Instant.now() : healedAt).plus(grace);
    }
}
