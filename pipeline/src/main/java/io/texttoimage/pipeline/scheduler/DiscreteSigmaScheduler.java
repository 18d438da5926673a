package io.texttoimage.pipeline.scheduler;

/**
 * Common ground of the k-diffusion style samplers (Euler, Euler ancestral, LMS): float32 timesteps spaced over the
 * training range, sigmas interpolated at those timesteps with a final 0, inputs scaled by 1/sqrt(sigma^2 + 1).
 */
abstract class DiscreteSigmaScheduler extends BaseScheduler {

    protected final float[] trainSigmas;
    protected float[] sigmas;

    DiscreteSigmaScheduler(String name, SchedulerConfig source) {
        super(name, source, "linspace");
        this.trainSigmas = schedule.trainSigmas();
    }

    /** Hook for Karras sigmas: given interpolated sigmas (descending), returns the sigmas to use, or null for none. */
    protected double[] karrasSigmas(double[] interpolated, int numInferenceSteps) {
        return null;
    }

    /** Karras sigmas spanning the interpolated ones: the classes without {@code sigma_min}/{@code sigma_max}. */
    protected static double[] karrasOverInterpolated(double[] interpolated, int numInferenceSteps) {
        return KarrasSigmas.sigmas(interpolated[interpolated.length - 1], interpolated[0], numInferenceSteps);
    }

    /** Timesteps of Karras sigmas: fractional {@code _sigma_to_t} values. */
    protected double[] timestepsForSigmas(double[] sigmaValues) {
        float[] logSigmas = KarrasSigmas.logSigmas(trainSigmas);
        double[] out = new double[sigmaValues.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = KarrasSigmas.sigmaToT(sigmaValues[i], logSigmas);
        }
        return out;
    }

    @Override
    public void setTimesteps(int numInferenceSteps) {
        int trainSteps = checkSteps(numInferenceSteps);
        float[] spaced = spacedTimesteps(numInferenceSteps, trainSteps);
        double[] interpolated = new double[spaced.length];
        for (int i = 0; i < spaced.length; i++) {
            interpolated[i] = NumpyMath.interpOnIndexGrid(spaced[i], trainSigmas);
        }
        double[] karras = karrasSigmas(interpolated, numInferenceSteps);
        double[] chosen = karras != null ? karras : interpolated;
        sigmas = new float[chosen.length + 1];
        for (int i = 0; i < chosen.length; i++) {
            sigmas[i] = (float) chosen[i];
        }
        sigmas[chosen.length] = 0f;
        timesteps = karras != null ? toFloats(timestepsForSigmas(karras)) : spaced;
        onTimestepsSet();
    }

    /** Called after new timesteps and sigmas are in place, to reset multistep state. */
    protected void onTimestepsSet() {
    }

    private float[] spacedTimesteps(int steps, int trainSteps) {
        float[] out;
        switch (timestepSpacing) {
            case "linspace" -> {
                // np.linspace(..., dtype=np.float32): computed in float64, then rounded to float32.
                double[] grid = NumpyMath.reverse(NumpyMath.linspace(0, trainSteps - 1, steps));
                out = toFloats(grid);
            }
            case "leading" -> {
                int stepRatio = trainSteps / steps;
                out = new float[steps];
                for (int i = 0; i < steps; i++) {
                    out[i] = (float) ((steps - 1 - i) * stepRatio) + stepsOffset;
                }
            }
            default -> { // trailing
                double[] grid = NumpyMath.round(NumpyMath.arange(trainSteps, 0, -((double) trainSteps / steps)));
                out = new float[grid.length];
                for (int i = 0; i < grid.length; i++) {
                    out[i] = (float) grid[i] - 1f;
                }
            }
        }
        return out;
    }

    /** The sigma list of this run: one per timestep plus a final 0. */
    public float[] sigmas() {
        requireTimesteps();
        return sigmas.clone();
    }

    @Override
    public float initNoiseSigma() {
        requireTimesteps();
        float maxSigma = sigmas[0];
        for (float sigma : sigmas) {
            maxSigma = Math.max(maxSigma, sigma);
        }
        if ("linspace".equals(timestepSpacing) || "trailing".equals(timestepSpacing)) {
            return maxSigma;
        }
        return (float) Math.sqrt(maxSigma * maxSigma + 1f);
    }

    @Override
    public float[] scaleModelInput(float[] sample, float timestep) {
        return scaledForSigma(sample, sigmas[currentStepIndex(timestep, false)]);
    }

    /** {@code sample / sqrt(sigma^2 + 1)}: the UNet was trained on inputs of unit variance. */
    protected static float[] scaledForSigma(float[] sample, float sigma) {
        float divisor = (float) Math.sqrt(sigma * sigma + 1f);
        float[] scaled = new float[sample.length];
        for (int i = 0; i < scaled.length; i++) {
            scaled[i] = sample[i] / divisor;
        }
        return scaled;
    }

    /** The predicted clean sample for the supported prediction types, element i. */
    protected final float predictOriginal(float modelOutput, float sample, float sigma, float vOutputScale,
                                          float vSampleScale) {
        return switch (predictionType) {
            case "epsilon" -> sample - sigma * modelOutput;
            case "v_prediction" -> modelOutput * vOutputScale + sample / vSampleScale;
            default -> modelOutput; // "sample"
        };
    }

    /** For v-prediction: {@code -sigma / sqrt(sigma^2 + 1)} (float32). */
    protected static float vOutputScale(float sigma) {
        return -sigma / (float) Math.sqrt(sigma * sigma + 1f);
    }

    /** For v-prediction: {@code sigma^2 + 1} (float32). */
    protected static float vSampleScale(float sigma) {
        return sigma * sigma + 1f;
    }

    /**
     * The noise an ancestral step from {@code sigmaFrom} to {@code sigmaTo} adds back:
     * {@code sqrt(to^2 (from^2 - to^2) / from^2)}, in float32 as torch evaluates it.
     */
    protected static float ancestralSigmaUp(float sigmaFrom, float sigmaTo) {
        return (float) Math.sqrt(sigmaTo * sigmaTo * (sigmaFrom * sigmaFrom - sigmaTo * sigmaTo)
                / (sigmaFrom * sigmaFrom));
    }

    /** Where the deterministic part of an ancestral step lands: {@code sqrt(to^2 - up^2)}. */
    protected static float ancestralSigmaDown(float sigmaTo, float sigmaUp) {
        return (float) Math.sqrt(sigmaTo * sigmaTo - sigmaUp * sigmaUp);
    }
}
