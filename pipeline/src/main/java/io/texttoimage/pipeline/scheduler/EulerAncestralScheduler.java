package io.texttoimage.pipeline.scheduler;

import io.texttoimage.pipeline.random.NoiseSource;

/**
 * diffusers' {@code EulerAncestralDiscreteScheduler}: an Euler step down to {@code sigma_down}, then fresh noise of
 * size {@code sigma_up}. Each step draws one noise tensor of the whole sample's size from {@code noise}, like
 * diffusers' {@code randn_tensor(model_output.shape, generator=generator)}; torch's CPU normal fill depends only on
 * the element count, so one call with the whole batch reproduces PyTorch's stream. Call {@code step} once per
 * evaluation with the whole batch.
 */
final class EulerAncestralScheduler extends DiscreteSigmaScheduler {

    EulerAncestralScheduler(SchedulerConfig source) {
        super(Schedulers.EULER_ANCESTRAL, source);
        config.requireValue("rescale_betas_zero_snr", false, false);
    }

    @Override
    public float[] step(float[] modelOutput, float timestep, float[] sample, NoiseSource noise) {
        requireSameLength(modelOutput, sample);
        int index = currentStepIndex(timestep, false);
        float sigmaFrom = sigmas[index];
        float sigmaTo = sigmas[index + 1];
        float sigmaUp = ancestralSigmaUp(sigmaFrom, sigmaTo);
        float sigmaDown = ancestralSigmaDown(sigmaTo, sigmaUp);
        float dt = sigmaDown - sigmaFrom;
        float vOutputScale = vOutputScale(sigmaFrom);
        float vSampleScale = vSampleScale(sigmaFrom);
        float[] prev = new float[sample.length];
        float[] predicted = new float[sample.length];
        for (int i = 0; i < prev.length; i++) {
            float predOriginal = predictOriginal(modelOutput[i], sample[i], sigmaFrom, vOutputScale, vSampleScale);
            predicted[i] = predOriginal;
            float derivative = (sample[i] - predOriginal) / sigmaFrom;
            prev[i] = sample[i] + derivative * dt;
        }
        float[] fresh = requireNoise(noise).randn(sample.length);
        for (int i = 0; i < prev.length; i++) {
            prev[i] = prev[i] + fresh[i] * sigmaUp;
        }
        stepIndex++;
        this.predOriginal = predicted;
        return prev;
    }
}
