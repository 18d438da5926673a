package io.texttoimage.gateway.api;

import io.texttoimage.gateway.job.Job;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * The public view of a job, as returned by every endpoint that answers with "the record".
 *
 * @param attempts which attempt at the job runs or ran last (1 for the first; a worker that died or lost its
 *                 connection makes the next one); on a job failed after its last attempt, the attempts made; null
 *                 until a worker has started it
 */
public record GeneratedImageRecord(
        UUID id,
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
        List<String> imageKeys,
        Instant createdAt,
        Instant startedAt,
        Instant finishedAt,
        Instant updatedAt,
        boolean cancelRequested,
        Integer attempts) {

    public static GeneratedImageRecord of(Job job) {
        return new GeneratedImageRecord(job.id, job.status.apiName(), job.prompt, job.negativePrompt, job.numSteps,
                job.guidanceScale, job.width, job.height, job.scheduler, job.seed, job.numImages, job.progress,
                job.currentStep, job.totalSteps, job.error, List.of(job.imageKeys), job.createdAt, job.startedAt,
                job.finishedAt, job.updatedAt, job.cancelRequested, job.attempts);
    }
}
