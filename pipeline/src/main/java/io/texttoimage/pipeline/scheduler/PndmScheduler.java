package io.texttoimage.pipeline.scheduler;

import io.texttoimage.pipeline.random.NoiseSource;

import java.util.ArrayList;
import java.util.List;

/**
 * diffusers' {@code PNDMScheduler} in PLMS mode ({@code skip_prk_steps=true}), the Stable Diffusion 1.5 default.
 *
 * <p>N steps take N+1 UNet evaluations: the second timestep is evaluated twice. The second evaluation restarts from
 * the original sample with the average of the first two noise predictions (a second-order start); after that the
 * linear multistep formulas of order 2, 3 and 4 (Adams–Bashforth) take over.
 */
final class PndmScheduler extends BaseScheduler {

    private static final int KEPT_PREDICTIONS = 4;

    private final float[] alphasCumprod;
    private final float finalAlphaCumprod;

    private int numInferenceSteps;
    private int counter;
    private final List<float[]> ets = new ArrayList<>();
    private float[] currentSample;

    PndmScheduler(SchedulerConfig source) {
        super(Schedulers.PNDM, source, "leading");
        boolean skipPrkSteps = config.booleanValue("skip_prk_steps", false);
        if (!skipPrkSteps) {
            throw new IllegalArgumentException("PNDM with Runge-Kutta warm-up steps (skip_prk_steps=false) is not "
                    + "supported; set skip_prk_steps to true as Stable Diffusion does");
        }
        if ("sample".equals(predictionType)) {
            throw new IllegalArgumentException("PNDM supports prediction_type epsilon or v_prediction, not sample");
        }
        boolean setAlphaToOne = config.booleanValue("set_alpha_to_one", false);
        this.alphasCumprod = schedule.alphasCumprod();
        this.finalAlphaCumprod = setAlphaToOne ? 1f : alphasCumprod[0];
    }

    @Override
    public void setTimesteps(int numInferenceSteps) {
        int trainSteps = checkSteps(numInferenceSteps);
        this.numInferenceSteps = numInferenceSteps;
        long[] ascending = ascendingTimesteps(numInferenceSteps, trainSteps);
        // PLMS order: all but the last, the second-to-last again, then the last; reversed to run from noisy to clean.
        List<Long> plms = new ArrayList<>();
        for (int i = 0; i < ascending.length - 1; i++) {
            plms.add(ascending[i]);
        }
        if (ascending.length >= 2) {
            plms.add(ascending[ascending.length - 2]);
        }
        plms.add(ascending[ascending.length - 1]);
        timesteps = new float[plms.size()];
        for (int i = 0; i < timesteps.length; i++) {
            timesteps[i] = plms.get(plms.size() - 1 - i);
        }
        counter = 0;
        ets.clear();
        currentSample = null;
    }

    private long[] ascendingTimesteps(int steps, int trainSteps) {
        long[] values = new long[steps];
        switch (timestepSpacing) {
            case "linspace" -> {
                double[] grid = NumpyMath.round(NumpyMath.linspace(0, trainSteps - 1, steps));
                for (int i = 0; i < steps; i++) {
                    values[i] = (long) grid[i];
                }
            }
            case "leading" -> {
                int stepRatio = trainSteps / steps;
                for (int i = 0; i < steps; i++) {
                    values[i] = (long) i * stepRatio + stepsOffset;
                }
            }
            default -> { // trailing
                double[] grid = NumpyMath.round(NumpyMath.arange(trainSteps, 0, -((double) trainSteps / steps)));
                values = new long[grid.length];
                for (int i = 0; i < grid.length; i++) {
                    values[i] = (long) grid[grid.length - 1 - i] - 1;
                }
            }
        }
        return values;
    }

    @Override
    public float[] step(float[] modelOutput, float timestep, float[] sample, NoiseSource noise) {
        requireTimesteps();
        requireSameLength(modelOutput, sample);
        int stride = schedule.trainSteps() / numInferenceSteps;
        int current = (int) timestep;
        int previous = current - stride;
        if (counter != 1) {
            ets.add(modelOutput.clone()); // the caller may reuse its buffer
            if (ets.size() > KEPT_PREDICTIONS) {
                ets.remove(0);
            }
        } else {
            // The repeated timestep: step again from the original sample over the same interval.
            previous = current;
            current = current + stride;
        }

        float[] epsilon;
        float[] from = sample;
        int n = ets.size();
        if (n == 1 && counter == 0) {
            epsilon = modelOutput;
            currentSample = sample.clone();
        } else if (n == 1 && counter == 1) {
            epsilon = new float[modelOutput.length];
            float[] first = ets.get(0);
            for (int i = 0; i < epsilon.length; i++) {
                epsilon[i] = (modelOutput[i] + first[i]) / 2f;
            }
            from = currentSample;
            currentSample = null;
        } else {
            epsilon = multistepCombination();
        }
        float[] prev = previousSample(from, current, previous, epsilon);
        counter++;
        return prev;
    }

    /** Adams–Bashforth combination of the stored noise predictions (order = number stored, at most 4). */
    private float[] multistepCombination() {
        int n = ets.size();
        float[] e1 = ets.get(n - 1);
        float[] e2 = ets.get(n - 2);
        float[] e3 = n >= 3 ? ets.get(n - 3) : null;
        float[] e4 = n >= 4 ? ets.get(n - 4) : null;
        float[] out = new float[e1.length];
        final float oneTwentyFourth = (float) (1.0 / 24);
        for (int i = 0; i < out.length; i++) {
            out[i] = switch (n) {
                case 2 -> (3f * e1[i] - e2[i]) / 2f;
                case 3 -> (23f * e1[i] - 16f * e2[i] + 5f * e3[i]) / 12f;
                default -> oneTwentyFourth * (55f * e1[i] - 59f * e2[i] + 37f * e3[i] - 9f * e4[i]);
            };
        }
        return out;
    }

    /** Formula (9) of the PNDM paper, in float32 like diffusers' tensors. */
    private float[] previousSample(float[] sample, int timestep, int prevTimestep, float[] modelOutput) {
        float alphaProdT = alphasCumprod[timestep];
        float alphaProdTPrev = prevTimestep >= 0 ? alphasCumprod[prevTimestep] : finalAlphaCumprod;
        float betaProdT = 1f - alphaProdT;
        float betaProdTPrev = 1f - alphaProdTPrev;
        float[] epsilon = modelOutput;
        if ("v_prediction".equals(predictionType)) {
            float sqrtAlpha = (float) Math.sqrt(alphaProdT);
            float sqrtBeta = (float) Math.sqrt(betaProdT);
            epsilon = new float[modelOutput.length];
            for (int i = 0; i < epsilon.length; i++) {
                epsilon[i] = sqrtAlpha * modelOutput[i] + sqrtBeta * sample[i];
            }
        }
        float sampleCoeff = (float) Math.sqrt(alphaProdTPrev / alphaProdT);
        float denominator = alphaProdT * (float) Math.sqrt(betaProdTPrev)
                + (float) Math.sqrt(alphaProdT * betaProdT * alphaProdTPrev);
        float alphaDifference = alphaProdTPrev - alphaProdT;
        float[] prev = new float[sample.length];
        for (int i = 0; i < prev.length; i++) {
            prev[i] = sampleCoeff * sample[i] - alphaDifference * epsilon[i] / denominator;
        }
        return prev;
    }
}
