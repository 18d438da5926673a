package io.texttoimage.pipeline.scheduler;

import io.texttoimage.pipeline.random.NoiseSource;

import java.util.Map;

/**
 * A diffusion sampler with the design of diffusers' schedulers. An instance is stateful for one
 * denoising run: create a new one (via {@link Schedulers#create}) for every run.
 *
 * <p>Arrays are flat, C-ordered latents; all maths is element-wise, so the batch layout does not
 * matter as long as {@code modelOutput} and {@code sample} have the same layout.
 */
public interface Scheduler {

    /** Prepares the timesteps of a run with {@code numInferenceSteps} steps (must be at least 1). */
    void setTimesteps(int numInferenceSteps);

    /** One entry per UNet evaluation, as diffusers' {@code scheduler.timesteps} (float32 values). */
    float[] timesteps();

    /** Factor applied to the unscaled standard-normal initial latents. */
    float initNoiseSigma();

    /** diffusers' {@code scheduler.order}. */
    int order();

    /** Scales the UNet input; returns {@code sample} itself when this scheduler does not scale. */
    float[] scaleModelInput(float[] sample, float timestep);

    /**
     * Advances the sample by one UNet evaluation and returns the new sample ({@code prev_sample}).
     *
     * @param noise used only by ancestral samplers; may be {@code null} for the others
     */
    float[] step(float[] modelOutput, float timestep, float[] sample, NoiseSource noise);

    /**
     * The other half of diffusers' step output, {@code pred_original_sample}, for the last {@link #step}: the clean
     * latents that step predicted from the model output (same layout as the sample). Null for the schedulers whose
     * diffusers step output has none (PNDM, Heun, KDPM2, the DPM-Solver, DEIS and UniPC families) and before the
     * first step. The array belongs to the scheduler: read it, do not modify it.
     */
    default float[] predOriginalSample() {
        return null;
    }

    /** The short name this scheduler is known by, e.g. {@code "euler-a"}. */
    default String name() {
        return getClass().getSimpleName();
    }

    /** The resolved configuration values this scheduler uses (snake_case keys, as diffusers). */
    default Map<String, Object> config() {
        return Map.of();
    }
}
