package io.texttoimage.pipeline.scheduler;

import io.texttoimage.pipeline.random.NoiseSource;

/**
 * diffusers' {@code KDPM2AncestralDiscreteScheduler} ("DPM2 a"): DPM-Solver-2 towards the ancestral step's
 * {@code sigma_down} instead of sigma_k+1, then fresh noise of size {@code sigma_up}, as Euler ancestral does for
 * Euler. The midpoint is the geometric mean of sigma_k and sigma_down. N steps take 2N - 1 evaluations.
 *
 * <p>Noise: like diffusers, every evaluation draws one tensor of the sample's size from {@code noise}, although only
 * the second half of a step adds it; skipping the unused draws would shift the generator's stream.
 */
final class Kdpm2AncestralScheduler extends Kdpm2FamilyScheduler {

    /** Indexed like {@code sigmas}: midpoints, added-noise sizes and ancestral targets of each step. */
    private float[] sigmasInterpol;
    private float[] sigmasUp;
    private float[] sigmasDown;

    Kdpm2AncestralScheduler(String name, SchedulerConfig source) {
        super(name, source);
    }

    @Override
    protected void expandSchedule() {
        float[] stepSigmas = sigmas; // s_0 … s_N-1 and the final 0
        int n = stepSigmas.length;
        float[] up = new float[n];
        float[] down = new float[n];
        float[] midpoints = new float[n];
        for (int k = 0; k < n; k++) {
            float next = k + 1 < n ? stepSigmas[k + 1] : 0f;
            up[k] = ancestralSigmaUp(stepSigmas[k], next);
            down[k] = k + 1 < n ? ancestralSigmaDown(next, up[k]) : 0f;
            midpoints[k] = logMidpoint(stepSigmas[k], down[k]);
        }
        // no midpoint for the last step (a plain Euler step down to 0) nor for the final sigma 0 itself
        midpoints[n - 1] = 0f;
        if (n >= 2) {
            midpoints[n - 2] = 0f;
        }
        float[] stepTimesteps = timesteps;
        float[] interleaved = new float[2 * stepTimesteps.length - 1];
        interleaved[0] = stepTimesteps[0];
        for (int k = 1; k < stepTimesteps.length; k++) {
            interleaved[2 * k - 1] = midpointTimestep(midpoints[k - 1]); // the correction of step k-1 runs at i_k-1
            interleaved[2 * k] = stepTimesteps[k];
        }
        timesteps = interleaved;
        sigmas = withLastRepeated(firstOnceThenTwice(stepSigmas, n));
        sigmasInterpol = withLastRepeated(firstOnceThenTwice(midpoints, n));
        sigmasUp = withLastRepeated(firstOnceThenTwice(up, n));
        sigmasDown = withLastRepeated(firstOnceThenTwice(down, n));
    }

    @Override
    public float[] scaleModelInput(float[] sample, float timestep) {
        int index = currentStepIndex(timestep, false);
        return scaledForSigma(sample, inFirstOrder() ? sigmas[index] : sigmasInterpol[index - 1]);
    }

    @Override
    public float[] step(float[] modelOutput, float timestep, float[] sample, NoiseSource noise) {
        requireSameLength(modelOutput, sample);
        int index = currentStepIndex(timestep, false);
        float[] fresh = requireNoise(noise).randn(sample.length);
        float[] prev;
        if (inFirstOrder()) {
            float sigma = sigmas[index];
            float midpoint = sigmasInterpol[index];
            float[] slope = derivative(modelOutput, sample, sigma);
            beginPending(sample);
            prev = eulerStep(sample, slope, midpoint - sigma);
        } else {
            int first = index - 1;
            float[] slope = derivative(modelOutput, sample, sigmasInterpol[first]);
            prev = eulerStep(takePending(), slope, sigmasDown[first] - sigmas[first]);
            float sigmaUp = sigmasUp[first];
            for (int i = 0; i < prev.length; i++) {
                prev[i] = prev[i] + fresh[i] * sigmaUp;
            }
        }
        stepIndex++;
        return prev;
    }
}
