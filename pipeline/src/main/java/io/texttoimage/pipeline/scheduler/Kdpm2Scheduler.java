package io.texttoimage.pipeline.scheduler;

import io.texttoimage.pipeline.random.NoiseSource;

/**
 * diffusers' {@code KDPM2DiscreteScheduler}, k-diffusion's DPM-Solver-2 ("DPM2"): each step from sigma_k to sigma_k+1
 * first takes an Euler step to the geometric mean of the two sigmas, evaluates the model there (at that midpoint's
 * own fractional timestep) and then steps from sigma_k to sigma_k+1 with the midpoint's slope. N steps take 2N - 1
 * evaluations; the last step, to sigma 0, is a plain Euler step. Deterministic.
 */
final class Kdpm2Scheduler extends Kdpm2FamilyScheduler {

    /** Indexed like {@code sigmas} ({@code [s_0, s_1, s_1, …, s_N, s_N, s_N]}): the midpoints i_k before each s_k. */
    private float[] sigmasInterpol;

    Kdpm2Scheduler(String name, SchedulerConfig source) {
        super(name, source);
    }

    @Override
    protected void expandSchedule() {
        float[] stepSigmas = sigmas; // s_0 … s_N-1 and the final 0
        int n = stepSigmas.length;
        float[] midpoints = new float[n];
        for (int k = 0; k < n; k++) {
            // midpoint between s_k and s_k-1 (torch's roll(1) pairs s_0 with the final 0: NaN, never used)
            midpoints[k] = logMidpoint(stepSigmas[k], stepSigmas[(k + n - 1) % n]);
        }
        float[] stepTimesteps = timesteps;
        float[] interleaved = new float[2 * stepTimesteps.length - 1];
        interleaved[0] = stepTimesteps[0];
        for (int k = 1; k < stepTimesteps.length; k++) {
            interleaved[2 * k - 1] = midpointTimestep(midpoints[k]); // the correction of step k-1 runs at i_k
            interleaved[2 * k] = stepTimesteps[k];
        }
        timesteps = interleaved;
        sigmas = withLastRepeated(firstOnceThenTwice(stepSigmas, n));
        sigmasInterpol = withLastRepeated(firstOnceThenTwice(midpoints, n));
    }

    @Override
    public float[] scaleModelInput(float[] sample, float timestep) {
        int index = currentStepIndex(timestep, false);
        return scaledForSigma(sample, inFirstOrder() ? sigmas[index] : sigmasInterpol[index]);
    }

    @Override
    public float[] step(float[] modelOutput, float timestep, float[] sample, NoiseSource noise) {
        requireSameLength(modelOutput, sample);
        int index = currentStepIndex(timestep, false);
        float[] prev;
        if (inFirstOrder()) {
            float sigma = sigmas[index];
            float midpoint = sigmasInterpol[index + 1];
            float[] slope = derivative(modelOutput, sample, sigma);
            beginPending(sample);
            prev = eulerStep(sample, slope, midpoint - sigma);
        } else {
            // the model saw the midpoint sample; its slope carries the whole step from sigma_k to sigma_k+1
            float sigma = sigmas[index - 1];
            float[] slope = derivative(modelOutput, sample, sigmasInterpol[index]);
            prev = eulerStep(takePending(), slope, sigmas[index] - sigma);
        }
        stepIndex++;
        return prev;
    }
}
