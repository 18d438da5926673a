package io.texttoimage.pipeline.scheduler;

/**
 * Timesteps and sigmas of diffusers' multistep solvers (DPM-Solver++, UniPC): integer timesteps spaced over
 * {@code [0, lastTimestep)} with one extra point dropped, float32 sigmas at those timesteps, optionally Karras sigmas.
 */
final class MultistepSchedule {

    private MultistepSchedule() {
    }

    static double[] spacedTimesteps(String spacing, int steps, int lastTimestep, int trainSteps, int stepsOffset) {
        switch (spacing) {
            case "linspace" -> {
                double[] grid = NumpyMath.reverse(NumpyMath.round(NumpyMath.linspace(0, lastTimestep - 1, steps + 1)));
                return java.util.Arrays.copyOf(grid, steps);
            }
            case "leading" -> {
                int stepRatio = lastTimestep / (steps + 1);
                double[] out = new double[steps];
                for (int i = 0; i < steps; i++) {
                    out[i] = (double) (steps - i) * stepRatio + stepsOffset;
                }
                return out;
            }
            default -> { // trailing
                double[] grid = NumpyMath.round(NumpyMath.arange(lastTimestep, 0, -((double) trainSteps / steps)));
                for (int i = 0; i < grid.length; i++) {
                    grid[i] -= 1;
                }
                return grid;
            }
        }
    }

    /** Sigmas at integer timesteps ({@code np.interp} at grid points returns the table values exactly). */
    static double[] sigmasAt(double[] timesteps, float[] trainSigmas) {
        double[] out = new double[timesteps.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = NumpyMath.interpOnIndexGrid(timesteps[i], trainSigmas);
        }
        return out;
    }

    /** Karras sigmas between the training sigmas' ends; their rounded timesteps go into {@code timestepsOut}. */
    static double[] karras(float[] trainSigmas, int steps, double[] timestepsOut) {
        double sigmaMin = trainSigmas[0];
        double sigmaMax = trainSigmas[trainSigmas.length - 1];
        double[] sigmas = KarrasSigmas.sigmas(sigmaMin, sigmaMax, steps);
        float[] logSigmas = KarrasSigmas.logSigmas(trainSigmas);
        for (int i = 0; i < steps; i++) {
            timestepsOut[i] = Math.rint(KarrasSigmas.sigmaToT(sigmas[i], logSigmas));
        }
        return sigmas;
    }

    /** The float32 {@code alpha_t = 1 / sqrt(sigma^2 + 1)} of diffusers' {@code _sigma_to_alpha_sigma_t}. */
    static float alpha(float sigma) {
        return 1f / (float) Math.sqrt(sigma * sigma + 1f);
    }

    /**
     * The predicted clean sample x0 from a model output, as diffusers' {@code convert_model_output} does for the
     * data-prediction solvers (DPM-Solver++, UniPC with predict_x0): both work on x0, not on the noise.
     */
    static float[] dataPrediction(String predictionType, float[] modelOutput, float[] sample, float sigma) {
        float alpha = alpha(sigma);
        float sigmaT = sigma * alpha;
        float[] x0 = new float[sample.length];
        for (int i = 0; i < x0.length; i++) {
            x0[i] = switch (predictionType) {
                case "epsilon" -> (sample[i] - sigmaT * modelOutput[i]) / alpha;
                case "v_prediction" -> alpha * sample[i] - sigmaT * modelOutput[i];
                default -> modelOutput[i];
            };
        }
        return x0;
    }

    /** {@code lambda = log(alpha_t) - log(sigma_t)} with {@code sigma_t = sigma * alpha_t}, float32. */
    static float lambda(float sigma) {
        float alpha = alpha(sigma);
        float sigmaT = sigma * alpha;
        return (float) Math.log(alpha) - (float) Math.log(sigmaT);
    }
}
