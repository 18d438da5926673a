package io.texttoimage.pipeline.scheduler;

import io.texttoimage.pipeline.random.NoiseSource;

/**
 * diffusers' {@code EulerDiscreteScheduler} (Karras et al. Algorithm 2 without churn): one Euler step of the
 * probability-flow ODE per UNet evaluation. Deterministic; {@code noise} is not used.
 */
final class EulerScheduler extends DiscreteSigmaScheduler {

    private final boolean useKarrasSigmas;
    private final Double sigmaMin;
    private final Double sigmaMax;

    EulerScheduler(String name, SchedulerConfig source) {
        super(name, source);
        config.choice("interpolation_type", "linear", "linear");
        config.choice("timestep_type", "discrete", "discrete");
        config.requireValue("rescale_betas_zero_snr", false, false);
        this.useKarrasSigmas = config.booleanValue("use_karras_sigmas", false);
        this.sigmaMin = config.nullableDoubleValue("sigma_min");
        this.sigmaMax = config.nullableDoubleValue("sigma_max");
    }

    @Override
    protected double[] karrasSigmas(double[] interpolated, int numInferenceSteps) {
        if (!useKarrasSigmas) {
            return null;
        }
        double min = sigmaMin != null ? sigmaMin : interpolated[interpolated.length - 1];
        double max = sigmaMax != null ? sigmaMax : interpolated[0];
        return KarrasSigmas.sigmas(min, max, numInferenceSteps);
    }

    @Override
    public float[] step(float[] modelOutput, float timestep, float[] sample, NoiseSource noise) {
        requireSameLength(modelOutput, sample);
        int index = currentStepIndex(timestep, false);
        float sigma = sigmas[index];
        float sigmaHat = sigma; // churn (gamma) is 0, so sigma_hat = sigma * (0 + 1)
        float dt = sigmas[index + 1] - sigmaHat;
        float vOutputScale = vOutputScale(sigma);
        float vSampleScale = vSampleScale(sigma);
        float[] prev = new float[sample.length];
        float[] predicted = new float[sample.length];
        for (int i = 0; i < prev.length; i++) {
            float predOriginal = predictOriginal(modelOutput[i], sample[i], sigmaHat, vOutputScale, vSampleScale);
            predicted[i] = predOriginal;
            float derivative = (sample[i] - predOriginal) / sigmaHat;
            prev[i] = sample[i] + derivative * dt;
        }
        stepIndex++;
        this.predOriginal = predicted;
        return prev;
    }
}
