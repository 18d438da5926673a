package io.texttoimage.gateway.events;

import io.texttoimage.contracts.JobEvent;
import io.texttoimage.contracts.JobEventType;
import io.texttoimage.gateway.job.JobStatus;

import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * The {@code data} of one SSE event: where the job stands after it.
 *
 * @param status    the job's status after the event ({@code heartbeat} for heartbeats)
 * @param sequence  the event's sequence, also sent as the SSE {@code id}
 */
public record JobEventView(UUID id, String status, int step, int totalSteps, int progress, List<String> imageKeys,
                           String error, long sequence) {

    public static final String HEARTBEAT = "heartbeat";

    /** SSE event name of a live event: its type ({@code progress} for PROGRESS, else the status). */
    public static String eventName(JobEventType type) {
        return type.name().toLowerCase(Locale.ROOT);
    }

    public static JobEventView of(JobEvent event) {
        JobStatus status = JobStatus.after(event.type());
        int progress = event.type() == JobEventType.SUCCEEDED ? 100 : percent(event.step(), event.totalSteps());
        List<String> keys = event.imageKeys() == null ? List.of() : List.copyOf(event.imageKeys());
        return new JobEventView(event.jobId(), status.apiName(), event.step(), event.totalSteps(), progress, keys,
                event.error(), event.sequence());
    }

    public static int percent(int step, int totalSteps) {
        if (totalSteps <= 0) {
            return 0;
        }
        return Math.max(0, Math.min(100, (int) (100L * step / totalSteps)));
    }

    public boolean isTerminal() {
        return JobStatus.SUCCEEDED.apiName().equals(status) || JobStatus.FAILED.apiName().equals(status)
                || JobStatus.CANCELLED.apiName().equals(status);
    }

    public JobEventView asHeartbeat() {
        return new JobEventView(id, HEARTBEAT, step, totalSteps, progress, imageKeys, error, sequence);
    }
}
