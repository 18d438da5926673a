package io.texttoimage.gateway.events;

import io.texttoimage.contracts.JobPreview;

import java.util.UUID;

/**
 * The {@code data} of one SSE {@code preview} event: a live preview of the job's first image after {@code step}
 * of {@code total_steps}, as a {@code data:} URL, at latent resolution ({@code width} × {@code height}: the image's
 * size / 8). Approximate colours, no detail; see docs/pipeline.md, "Live previews".
 */
public record JobPreviewView(UUID id, int step, int totalSteps, String image, int width, int height) {

    public static JobPreviewView of(JobPreview preview) {
        return new JobPreviewView(preview.jobId(), preview.step(), preview.totalSteps(), preview.dataUrl(),
                preview.width(), preview.height());
    }
}
