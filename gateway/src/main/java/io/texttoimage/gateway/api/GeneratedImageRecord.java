package io.texttoimage.gateway.api;

import io.texttoimage.contracts.PromptTruncation;
import io.texttoimage.gateway.job.Job;
import io.texttoimage.gateway.job.QueueEstimates;
import io.texttoimage.gateway.job.WebhookDeliveries;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * The public view of a job, as returned by every endpoint that answers with "the record".
 *
 * @param promptTruncation what the text encoder's token limit cut off the prompts (from the job's RUNNING event);
 *                         null when both fitted or the job has not started
 * @param attempts which attempt at the job runs or ran last (1 for the first; a worker that died or lost its
 *                 connection makes the next one); on a job failed after its last attempt, the attempts made; null
 *                 until a worker has started it
 * @param workerLostAt when the worker of this running job stopped sending heartbeats; null otherwise, and again
 *                     once another worker starts it (computed when read from the gateway's live-worker registry)
 * @param note         what is going on that the status does not say ("worker gen-1 lost at …; waiting for another
 *                     worker"); null when there is nothing to add
 * @param webhook      the job's webhook and where its deliveries stand; null without one
 * @param queue        a queued job's place in line (computed when read, {@code job.QueueEstimates}); null otherwise
 * @param estimate     when a queued or running job should start and finish, each field null while not known; null
 *                     once the job has ended
 */
public record GeneratedImageRecord(
        UUID id,
        @Schema(description = "who submitted the job: the owner of the API key or token; \"anonymous\" with "
                + "authentication off and for jobs from before owners existed") String owner,
        String status,
        String prompt,
        String negativePrompt,
        int numSteps,
        double guidanceScale,
        Integer width,
        Integer height,
        String scheduler,
        long seed,
        int numImages,
        int progress,
        int currentStep,
        int totalSteps,
        String error,
        PromptTruncation promptTruncation,
        List<String> imageKeys,
        Instant createdAt,
        Instant startedAt,
        Instant finishedAt,
        Instant updatedAt,
        boolean cancelRequested,
        @Schema(description = "seconds the job may wait for a generator (null: no deadline)") Integer queueTimeout,
        @Schema(description = "seconds the job may run (null: no deadline)") Integer runTimeout,
        Integer attempts,
        @Schema(description = "when this running job's worker stopped sending heartbeats; null otherwise")
        Instant workerLostAt,
        @Schema(description = "what the status does not say, e.g. \"worker gen-1 lost at ...; waiting for another"
                + " worker\"; null when there is nothing to add") String note,
        @Schema(description = "the webhook the request gave, and the latest delivery of each event; null without one")
        Webhook webhook,
        @Schema(description = "whether live previews were asked for")
        Boolean previews,
        @Schema(description = "a queued job's place in line; null unless queued") QueueEstimates.QueuePlace queue,
        @Schema(description = "when a queued or running job should start and finish; null when it has ended, and "
                + "each field null when it cannot be known yet") QueueEstimates.Estimate estimate) {


    /** The request's webhook and its deliveries (docs/gateway-api.md, "Webhooks"). */
    @Schema(name = "WebhookState")
    public record Webhook(String url, List<String> events, List<Delivery> deliveries) {
        static Webhook of(Job job) {
            return job.webhookUrl == null ? null : new Webhook(job.webhookUrl, List.of(job.webhookEvents),
                    job.webhookDeliveries.stream().map(Delivery::of).toList());
        }
    }

    /**
     * @param lastStatus the receiver's HTTP status at the last attempt; null before one, or when it did not answer
     * @param lastError  why the last attempt failed; null when it did not
     */
    @Schema(name = "WebhookDelivery")
    public record Delivery(String event, int attempts, Integer lastStatus, String lastError, Instant deliveredAt,
                           Instant givenUpAt) {
        static Delivery of(WebhookDeliveries.Delivery delivery) {
            return new Delivery(delivery.event().apiName(), delivery.attempts(), delivery.lastStatus(),
                    delivery.lastError(), delivery.deliveredAt(), delivery.givenUpAt());
        }
    }

    public static GeneratedImageRecord of(Job job) {
        return new GeneratedImageRecord(job.id, job.owner, job.status.apiName(), job.prompt, job.negativePrompt, job.numSteps,
                job.guidanceScale, job.width, job.height, job.scheduler, job.seed, job.numImages, job.progress,
                job.currentStep, job.totalSteps, job.error, job.promptTruncation, List.of(job.imageKeys),
                job.createdAt, job.startedAt, job.finishedAt, job.updatedAt, job.cancelRequested,
                job.queueTimeoutSeconds, job.runTimeoutSeconds, job.attempts,
                job.workerLost == null ? null : job.workerLost.at(), job.workerLost == null ? null : job.workerLost.note(),
                Webhook.of(job), job.previews, job.queue, job.estimate);
    }
}
