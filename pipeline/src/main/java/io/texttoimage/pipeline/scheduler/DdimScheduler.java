package io.texttoimage.pipeline.scheduler;

import io.texttoimage.pipeline.random.NoiseSource;

/**
 * diffusers' {@code DDIMScheduler} with {@code eta = 0} (deterministic DDIM, as the Stable Diffusion pipeline calls it
 * by default). One UNet evaluation per step.
 */
final class DdimScheduler extends BaseScheduler {

    private final float[] alphasCumprod;
    private final float finalAlphaCumprod;
    private final boolean clipSample;
    private final float clipSampleRange;
    private int numInferenceSteps;

    DdimScheduler(SchedulerConfig source) {
        super(Schedulers.DDIM, source, "leading");
        this.clipSample = config.booleanValue("clip_sample", true);
        this.clipSampleRange = (float) config.doubleValue("clip_sample_range", 1.0);
        boolean setAlphaToOne = config.booleanValue("set_alpha_to_one", true);
        config.requireValue("thresholding", false, false);
        config.requireValue("rescale_betas_zero_snr", false, false);
        this.alphasCumprod = schedule.alphasCumprod();
        this.finalAlphaCumprod = setAlphaToOne ? 1f : alphasCumprod[0];
    }

    @Override
    public void setTimesteps(int numInferenceSteps) {
        int trainSteps = checkSteps(numInferenceSteps);
        this.numInferenceSteps = numInferenceSteps;
        double[] descending = switch (timestepSpacing) {
            case "linspace" ->
                    NumpyMath.reverse(NumpyMath.round(NumpyMath.linspace(0, trainSteps - 1, numInferenceSteps)));
            case "leading" -> {
                int stepRatio = trainSteps / numInferenceSteps;
                double[] values = new double[numInferenceSteps];
                for (int i = 0; i < numInferenceSteps; i++) {
                    values[i] = (double) (numInferenceSteps - 1 - i) * stepRatio + stepsOffset;
                }
                yield values;
            }
            default -> { // trailing
                double stepRatio = (double) trainSteps / numInferenceSteps;
                double[] values = NumpyMath.round(NumpyMath.arange(trainSteps, 0, -stepRatio));
                for (int i = 0; i < values.length; i++) {
                    values[i] -= 1;
                }
                yield values;
            }
        };
        timesteps = toFloats(descending);
    }

    @Override
    public float[] step(float[] modelOutput, float timestep, float[] sample, NoiseSource noise) {
        requireTimesteps();
        requireSameLength(modelOutput, sample);
        int current = (int) timestep;
        int previous = current - schedule.trainSteps() / numInferenceSteps;
        float alphaProdT = alphasCumprod[current];
        float alphaProdTPrev = previous >= 0 ? alphasCumprod[previous] : finalAlphaCumprod;
        float betaProdT = 1f - alphaProdT;
        float sqrtAlpha = (float) Math.sqrt(alphaProdT);
        float sqrtBeta = (float) Math.sqrt(betaProdT);
        // eta = 0: no variance term, so the direction coefficient is sqrt(1 - alpha_prev).
        float directionCoeff = (float) Math.sqrt(1f - alphaProdTPrev - 0f);
        float sqrtAlphaPrev = (float) Math.sqrt(alphaProdTPrev);
        float[] prev = new float[sample.length];
        float[] predicted = new float[sample.length];
        for (int i = 0; i < prev.length; i++) {
            float x = sample[i];
            float out = modelOutput[i];
            float predOriginal;
            float predEpsilon;
            switch (predictionType) {
                case "epsilon" -> {
                    predOriginal = (x - sqrtBeta * out) / sqrtAlpha;
                    predEpsilon = out;
                }
                case "sample" -> {
                    predOriginal = out;
                    predEpsilon = (x - sqrtAlpha * predOriginal) / sqrtBeta;
                }
                default -> { // v_prediction
                    predOriginal = sqrtAlpha * x - sqrtBeta * out;
                    predEpsilon = sqrtAlpha * out + sqrtBeta * x;
                }
            }
            if (clipSample) {
                predOriginal = Math.max(-clipSampleRange, Math.min(clipSampleRange, predOriginal));
            }
            // diffusers returns the clipped prediction, the one the step used
            predicted[i] = predOriginal;
            prev[i] = sqrtAlphaPrev * predOriginal + directionCoeff * predEpsilon;
        }
        this.predOriginal = predicted;
        return prev;
    }
}
