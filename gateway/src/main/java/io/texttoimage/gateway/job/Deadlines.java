package io.texttoimage.gateway.job;

import java.time.Duration;

/**
 * The deadlines of one job, in seconds, as stored: how long it may wait for a generator ({@code queue_timeout}) and
 * how long it may run ({@code run_timeout}). The gateway enforces both itself ({@code messaging.JobDeadlineCheck}),
 * so they hold even when no generator is alive.
 */
public record Deadlines(int queueTimeoutSeconds, int runTimeoutSeconds) {

    /**
     * The request's deadlines, or the defaults where it has none; throws {@link JobException.InvalidDeadline} for
     * one above its maximum.
     */
    public static Deadlines of(SubmitJobRequest request, Duration queueDefault, Duration queueMax, Duration runDefault,
                               Duration runMax) {
        return new Deadlines(seconds("queue_timeout", request.queueTimeout(), queueDefault, queueMax),
                seconds("run_timeout", request.runTimeout(), runDefault, runMax));
    }

    private static int seconds(String field, Integer requested, Duration fallback, Duration max) {
        long limit = max.toSeconds();
        if (requested == null) {
            return (int) Math.min(fallback.toSeconds(), limit);
        }
        if (requested > limit) {
            throw new JobException.InvalidDeadline(field,
                    field + " must be at most " + limit + " seconds on this server");
        }
        return requested;
    }
}
