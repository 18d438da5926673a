package io.texttoimage.pipeline.scheduler;

/**
 * Common ground of diffusers' second-order k-diffusion samplers (Heun, KDPM2 and KDPM2 ancestral). Each step from
 * sigma_k to sigma_k+1 takes two UNet evaluations: a first-order prediction, then a correction that uses the model
 * evaluated at the predicted point. diffusers spells both halves out in its schedule, so {@code timesteps} repeats
 * (or interleaves) entries and N steps take 2N - 1 evaluations: the last step ends at sigma 0, where the model cannot
 * be evaluated, and stays first order. Which half a call is in follows from whether a first half is pending.
 */
abstract class SecondOrderDiscreteScheduler extends DiscreteSigmaScheduler {

    protected final boolean useKarrasSigmas;
    /** The sample the pending first half started from (diffusers' {@code self.sample}); null between steps. */
    private float[] pendingSample;

    SecondOrderDiscreteScheduler(String name, SchedulerConfig source) {
        super(name, withOwnBetaDefaults(source));
        this.useKarrasSigmas = config.booleanValue("use_karras_sigmas", false);
    }

    /** Heun and KDPM2 default to Stable Diffusion's betas (0.00085 … 0.012), not to the 0.0001 … 0.02 of the others. */
    private static SchedulerConfig withOwnBetaDefaults(SchedulerConfig source) {
        SchedulerConfig config = source;
        if (source.getNullableDouble("beta_start", null) == null) {
            config = config.with("beta_start", 0.00085);
        }
        if (source.getNullableDouble("beta_end", null) == null) {
            config = config.with("beta_end", 0.012);
        }
        return config;
    }

    @Override
    public int order() {
        return 2;
    }

    @Override
    protected double[] karrasSigmas(double[] interpolated, int numInferenceSteps) {
        return useKarrasSigmas ? karrasOverInterpolated(interpolated, numInferenceSteps) : null;
    }

    @Override
    protected final void onTimestepsSet() {
        pendingSample = null;
        expandSchedule();
    }

    /** Turns the one-entry-per-step {@code timesteps} and {@code sigmas} into one entry per UNet evaluation. */
    protected abstract void expandSchedule();

    /** diffusers' {@code state_in_first_order}. */
    protected final boolean inFirstOrder() {
        return pendingSample == null;
    }

    /** Ends the first half: the second half will restart from {@code sample} (a copy; callers reuse buffers). */
    protected final void beginPending(float[] sample) {
        pendingSample = sample.clone();
    }

    /** Ends the second half and hands back the sample the step started from. */
    protected final float[] takePending() {
        float[] start = pendingSample;
        pendingSample = null;
        return start;
    }

    /**
     * The probability-flow ODE's derivative {@code (x - x0) / sigma} at the sigma the model was evaluated at, with x0
     * predicted for this scheduler's prediction type. Evaluated as torch does (x0 first), so that
     * {@code (x - (x - sigma * eps)) / sigma} rounds like diffusers rather than being simplified to {@code eps}.
     */
    protected final float[] derivative(float[] modelOutput, float[] sample, float sigmaInput) {
        float vOutputScale = vOutputScale(sigmaInput);
        float vSampleScale = vSampleScale(sigmaInput);
        float[] out = new float[sample.length];
        for (int i = 0; i < out.length; i++) {
            float predOriginal = clipPrediction(predictOriginal(modelOutput[i], sample[i], sigmaInput, vOutputScale,
                    vSampleScale));
            out[i] = (sample[i] - predOriginal) / sigmaInput;
        }
        return out;
    }

    /** Hook for Heun's {@code clip_sample}; the identity for the others. */
    protected float clipPrediction(float predOriginal) {
        return predOriginal;
    }

    /** {@code from + derivative * dt}, element-wise in float32. */
    protected static float[] eulerStep(float[] from, float[] derivative, float dt) {
        float[] out = new float[from.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = from[i] + derivative[i] * dt;
        }
        return out;
    }

    /**
     * diffusers' {@code cat([x[:1], x[1:count].repeat_interleave(2)])} followed by the values from {@code count} on
     * once: the first entry once, the next {@code count - 1} twice each (both halves of their step), the rest once.
     */
    protected static float[] firstOnceThenTwice(float[] values, int count) {
        float[] out = new float[2 * count - 1 + (values.length - count)];
        out[0] = values[0];
        for (int i = 1; i < count; i++) {
            out[2 * i - 1] = values[i];
            out[2 * i] = values[i];
        }
        System.arraycopy(values, count, out, 2 * count - 1, values.length - count);
        return out;
    }

    /** diffusers' {@code cat([x, x[-1:]])}: KDPM2 lists its last sigma once more than the others. */
    protected static float[] withLastRepeated(float[] values) {
        float[] out = java.util.Arrays.copyOf(values, values.length + 1);
        out[values.length] = values[values.length - 1];
        return out;
    }
}
