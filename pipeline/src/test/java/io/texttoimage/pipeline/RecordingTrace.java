package io.texttoimage.pipeline;

import io.texttoimage.pipeline.tokenizer.TokenizedText;

import java.util.ArrayList;
import java.util.List;

/** Keeps every intermediate value of one run for comparison with the reference files. */
final class RecordingTrace implements PipelineTrace {

    TokenizedText condTokens;
    TokenizedText uncondTokens;
    float[] condEmbedding;
    float[] uncondEmbedding;
    float[] initialLatents;
    float[] timesteps;
    float initNoiseSigma;
    final List<float[]> unetInputs = new ArrayList<>();
    final List<float[]> unetOutputs = new ArrayList<>();
    final List<Float> unetTimesteps = new ArrayList<>();
    final List<float[]> latents = new ArrayList<>();

    @Override
    public void textEncoded(TokenizedText cond, float[] condEmbedding, TokenizedText uncond, float[] uncondEmbedding) {
        this.condTokens = cond;
        this.condEmbedding = condEmbedding;
        this.uncondTokens = uncond;
        this.uncondEmbedding = uncondEmbedding;
    }

    @Override
    public void initialLatents(float[] unscaled) {
        this.initialLatents = unscaled;
    }

    @Override
    public void timesteps(float[] timesteps, float initNoiseSigma) {
        this.timesteps = timesteps;
        this.initNoiseSigma = initNoiseSigma;
    }

    @Override
    public void unetEvaluated(int index, float timestep, float[] sampleInput, float[] output) {
        unetTimesteps.add(timestep);
        unetInputs.add(sampleInput);
        unetOutputs.add(output);
    }

    @Override
    public void latentsAfterStep(int index, float[] values) {
        latents.add(values);
    }
}
