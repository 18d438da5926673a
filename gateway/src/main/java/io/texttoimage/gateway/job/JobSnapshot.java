package io.texttoimage.gateway.job;

import io.texttoimage.contracts.JobEvent;
import io.texttoimage.contracts.JobEventType;
import io.texttoimage.contracts.PromptTruncation;

import java.util.List;
import java.util.UUID;

/**
 * Where a job stands as of one of its events: read from its stored row, or derived from a live event.
 *
 * @param sequence         the sequence of the last event it reflects
 * @param promptTruncation what the token limit cut off the prompts: from a RUNNING event, or as stored; else null
 */
public record JobSnapshot(UUID id, JobStatus status, int step, int totalSteps, int progress, List<String> imageKeys,
                          String error, long sequence, PromptTruncation promptTruncation) {

    /** Where the job stands after this event, from the event alone. */
    public static JobSnapshot after(JobEvent event) {
        JobStatus status = JobStateMachine.statusAfter(event.type());
        int progress = event.type() == JobEventType.SUCCEEDED ? 100 : percent(event.step(), event.totalSteps());
        List<String> keys = event.imageKeys() == null ? List.of() : List.copyOf(event.imageKeys());
        return new JobSnapshot(event.jobId(), status, event.step(), event.totalSteps(), progress, keys, event.error(),
                event.sequence(), event.promptTruncation());
    }

    /** Steps done as a whole percentage, 0..100 (0 while the total is unknown). */
    public static int percent(int step, int totalSteps) {
        if (totalSteps <= 0) {
            return 0;
        }
        return Math.max(0, Math.min(100, (int) (100L * step / totalSteps)));
    }
}
