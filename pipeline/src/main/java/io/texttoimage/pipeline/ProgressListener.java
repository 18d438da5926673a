package io.texttoimage.pipeline;

import io.texttoimage.pipeline.preview.StepLatents;

import java.time.Duration;

/** Called after every UNet evaluation; {@code step} is 1-based, {@code totalSteps} is the number of UNet evaluations. */
@FunctionalInterface
public interface ProgressListener {

    ProgressListener NONE = (step, totalSteps, elapsed) -> { };

    void onStep(int step, int totalSteps, Duration elapsed);

    /**
     * Right after {@link #onStep}, with what the step leaves (for live previews: {@link
     * io.texttoimage.pipeline.preview.LatentPreview}). The latents are the pipeline's own, valid during the call only.
     * A listener that wraps another must pass this on too.
     */
    default void onLatents(int step, int totalSteps, StepLatents latents) {
    }
}
