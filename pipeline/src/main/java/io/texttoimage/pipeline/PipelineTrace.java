package io.texttoimage.pipeline;

import io.texttoimage.pipeline.tokenizer.TokenizedText;

/**
 * Intermediate values of one run, for the golden tests. Copies are made only when a trace other than {@link #NONE} is
 * given, so production runs pay nothing for it.
 */
interface PipelineTrace {

    PipelineTrace NONE = new PipelineTrace() { };

    /** {@code uncond} and its embedding are null without classifier-free guidance. */
    default void textEncoded(TokenizedText cond, float[] condEmbedding, TokenizedText uncond, float[] uncondEmbedding) {
    }

    /** The unscaled initial latents (drawn from the seed or given), before the scheduler's init_noise_sigma. */
    default void initialLatents(float[] unscaled) {
    }

    default void timesteps(float[] timesteps, float initNoiseSigma) {
    }

    /** The exact UNet input sample and raw output (before guidance) of evaluation {@code index} (0-based). */
    default void unetEvaluated(int index, float timestep, float[] sampleInput, float[] output) {
    }

    default void latentsAfterStep(int index, float[] latents) {
    }
}
