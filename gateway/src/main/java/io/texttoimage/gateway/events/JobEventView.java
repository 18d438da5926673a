package io.texttoimage.gateway.events;

import com.fasterxml.jackson.annotation.JsonIgnore;
import io.texttoimage.contracts.JobEvent;
import io.texttoimage.contracts.JobEventType;
import io.texttoimage.contracts.PromptTruncation;
import io.texttoimage.gateway.job.JobSnapshot;
import io.texttoimage.gateway.job.JobStateMachine;
import io.texttoimage.gateway.job.JobStatus;
import io.texttoimage.gateway.job.QueueEstimates;

import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * The {@code data} of one SSE event: where the job stands after it.
 *
 * @param status    the job's status after the event ({@code heartbeat} for heartbeats)
 * @param sequence  the event's sequence, also sent as the SSE {@code id}
 * @param promptTruncation what the token limit cut off the prompts: on {@code running}, and on a stream's first
 *                  event once the job has started; null when nothing was cut and on other events
 * @param estimate  on {@code running} and {@code progress}: when the job should finish, from its own step rate (see
 *                  {@link QueueEstimates#running}); null on other events and when not known
 */
public record JobEventView(UUID id, String status, int step, int totalSteps, int progress, List<String> imageKeys,
                           String error, long sequence, PromptTruncation promptTruncation,
                           QueueEstimates.Estimate estimate) {

    public static final String HEARTBEAT = "heartbeat";

    public JobEventView(UUID id, String status, int step, int totalSteps, int progress, List<String> imageKeys,
                        String error, long sequence, PromptTruncation promptTruncation) {
        this(id, status, step, totalSteps, progress, imageKeys, error, sequence, promptTruncation, null);
    }

    public JobEventView withEstimate(QueueEstimates.Estimate estimate) {
        return new JobEventView(id, status, step, totalSteps, progress, imageKeys, error, sequence, promptTruncation,
                estimate);
    }

    /** SSE event name of a live event: its type ({@code progress} for PROGRESS, else the status). */
    public static String eventName(JobEventType type) {
        return type.name().toLowerCase(Locale.ROOT);
    }

    public static JobEventView of(JobEvent event) {
        return of(JobSnapshot.after(event));
    }

    public static JobEventView of(JobSnapshot job) {
        return new JobEventView(job.id(), job.status().apiName(), job.step(), job.totalSteps(), job.progress(),
                job.imageKeys(), job.error(), job.sequence(), job.promptTruncation());
    }

    @JsonIgnore // for the stream's own use: Jackson would otherwise send it to every client as "terminal"
    public boolean isTerminal() {
        JobStatus parsed = JobStatus.ofApiName(status); // null for a heartbeat
        return parsed != null && JobStateMachine.isTerminal(parsed);
    }

    public JobEventView asHeartbeat() {
        return new JobEventView(id, HEARTBEAT, step, totalSteps, progress, imageKeys, error, sequence, promptTruncation,
                estimate);
    }
}
