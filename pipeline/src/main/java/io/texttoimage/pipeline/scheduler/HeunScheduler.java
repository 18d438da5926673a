package io.texttoimage.pipeline.scheduler;

import io.texttoimage.pipeline.random.NoiseSource;

/**
 * diffusers' {@code HeunDiscreteScheduler} (Karras et al. 2022, Algorithm 1 without churn): Heun's method on the
 * probability-flow ODE. Each step takes an Euler step from sigma_k to sigma_k+1, evaluates the model there, and
 * redoes the step from sigma_k with the average of both derivatives. Every timestep after the first therefore runs
 * twice (N steps, 2N - 1 evaluations); the step to sigma 0 stays a plain Euler step. Deterministic.
 */
final class HeunScheduler extends SecondOrderDiscreteScheduler {

    private final boolean clipSample;
    private final float clipSampleRange;

    /** The first half's derivative and step size, reused by the correction. */
    private float[] firstDerivative;
    private float dt;

    HeunScheduler(String name, SchedulerConfig source) {
        super(name, source);
        this.clipSample = config.booleanValue("clip_sample", false);
        this.clipSampleRange = (float) config.doubleValue("clip_sample_range", 1.0);
    }

    @Override
    protected void expandSchedule() {
        // [t0, t1, t1, …] and [s0, s1, s1, …, s_N-1, s_N-1, 0]: the correction of step k runs at sigma_k+1
        timesteps = firstOnceThenTwice(timesteps, timesteps.length);
        sigmas = firstOnceThenTwice(sigmas, sigmas.length - 1);
        firstDerivative = null;
    }

    @Override
    protected float clipPrediction(float predOriginal) {
        return clipSample ? Math.max(-clipSampleRange, Math.min(clipSampleRange, predOriginal)) : predOriginal;
    }

    @Override
    public float[] step(float[] modelOutput, float timestep, float[] sample, NoiseSource noise) {
        requireSameLength(modelOutput, sample);
        int index = currentStepIndex(timestep, false);
        float[] prev;
        if (inFirstOrder()) {
            float sigma = sigmas[index];
            dt = sigmas[index + 1] - sigma;
            firstDerivative = derivative(modelOutput, sample, sigma);
            beginPending(sample);
            prev = eulerStep(sample, firstDerivative, dt);
        } else {
            // the model saw the Euler prediction at sigma_k+1; average the two slopes and redo the step
            float[] second = derivative(modelOutput, sample, sigmas[index]);
            float[] average = new float[second.length];
            for (int i = 0; i < average.length; i++) {
                average[i] = (firstDerivative[i] + second[i]) / 2f;
            }
            firstDerivative = null;
            prev = eulerStep(takePending(), average, dt);
        }
        stepIndex++;
        return prev;
    }
}
