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

    /**
     * The timesteps of a run and the sigmas at them: spaced integer timesteps over {@code [0, lastTimestep)}, or with
     * {@code karras} the Karras ramp over the whole training range and its rounded timesteps. The caller appends the
     * sigma the last step ends at, which differs between solvers ({@link Steps#endingAt}).
     */
    static Steps steps(String spacing, int steps, int lastTimestep, int trainSteps, int stepsOffset,
                       float[] trainSigmas, boolean karras) {
        if (karras) {
            double[] timesteps = new double[steps];
            double[] sigmas = karras(trainSigmas, steps, timesteps);
            return new Steps(BaseScheduler.toFloats(timesteps), sigmas);
        }
        double[] timesteps = spacedTimesteps(spacing, steps, lastTimestep, trainSteps, stepsOffset);
        return new Steps(BaseScheduler.toFloats(timesteps), sigmasAt(timesteps, trainSigmas));
    }

    /** Timesteps (whole numbers) and their float64 sigmas, one per step. */
    record Steps(float[] timesteps, double[] sigmas) {

        /** The float32 sigmas with {@code finalSigma} appended: diffusers' {@code concatenate([sigmas, [last]])}. */
        float[] endingAt(float finalSigma) {
            float[] out = new float[sigmas.length + 1];
            for (int i = 0; i < sigmas.length; i++) {
                out[i] = (float) sigmas[i];
            }
            out[sigmas.length] = finalSigma;
            return out;
        }

        /**
         * How UniPC and DEIS end (diffusers 0.27): on the smallest training sigma, or with Karras sigmas on the last
         * Karras sigma repeated; never on 0.
         */
        float[] endingAboveZero(boolean karras, NoiseSchedule schedule) {
            return endingAt(karras ? (float) sigmas[sigmas.length - 1] : schedule.sigmaMin());
        }
    }

    /**
     * How many training timesteps have {@code lambda = log(alpha_t) - log(sigma_t)} below {@code lambdaMinClipped}
     * (diffusers' {@code torch.searchsorted} on the flipped lambdas); DPM-Solver leaves them out of the schedule.
     */
    static int clippedLambdaCount(NoiseSchedule schedule, double lambdaMinClipped) {
        int count = 0;
        for (float a : schedule.alphasCumprod()) {
            float lambda = (float) Math.log((float) Math.sqrt(a)) - (float) Math.log((float) Math.sqrt(1f - a));
            if (lambda < lambdaMinClipped) {
                count++;
            }
        }
        return count;
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

    /**
     * The first-order DPM-Solver++ step (DDIM in data-prediction form) from {@code sigmaFrom} to {@code sigmaTo}:
     * {@code x_t = (sigma_t / sigma_s) x - alpha_t (e^-h - 1) x0} with {@code h = lambda_t - lambda_s}.
     */
    static float[] firstOrderUpdate(float[] x0, float[] sample, float sigmaFrom, float sigmaTo) {
        float alphaT = alpha(sigmaTo);
        float sigmaT = sigmaTo * alphaT;
        float sigmaS = sigmaFrom * alpha(sigmaFrom);
        float h = lambda(sigmaTo) - lambda(sigmaFrom);
        float sampleCoeff = sigmaT / sigmaS;
        float x0Coeff = alphaT * (TorchFloatMath.exp(-h) - 1f);
        float[] prev = new float[sample.length];
        for (int i = 0; i < prev.length; i++) {
            prev[i] = sampleCoeff * sample[i] - x0Coeff * x0[i];
        }
        return prev;
    }

    /**
     * The second-order DPM-Solver++ step from {@code sigmaFrom} to {@code sigmaTo}:
     * {@code x_t = (sigma_t / sigma_s) x - alpha_t (e^-h - 1) D0 -/+ w D1} with {@code D1 = (m0 - m1) / r0}, where
     * {@code r0} is the earlier interval's share of {@code h} in log-SNR, and {@code w = alpha_t (e^-h - 1) / 2} for the
     * midpoint rule or {@code alpha_t ((e^-h - 1) / h + 1)} for Heun's. The multistep solver steps from the current
     * sample with {@code D0 = m0}; the singlestep one from its pair's start with {@code D0 = m1}.
     */
    static float[] secondOrderUpdate(float[] sample, float sigmaFrom, float sigmaTo, float r0, float[] d0,
                                     float[] m0, float[] m1, boolean midpoint) {
        float alphaT = alpha(sigmaTo);
        float sigmaT = sigmaTo * alphaT;
        float sigmaS = sigmaFrom * alpha(sigmaFrom);
        float h = lambda(sigmaTo) - lambda(sigmaFrom);
        float d1Coeff = 1f / r0;
        float sampleCoeff = sigmaT / sigmaS;
        float expMinusOne = TorchFloatMath.exp(-h) - 1f;
        float d0Coeff = alphaT * expMinusOne;
        float d1Weight = midpoint ? 0.5f * (alphaT * expMinusOne) : alphaT * (expMinusOne / h + 1f);
        float[] prev = new float[sample.length];
        for (int i = 0; i < prev.length; i++) {
            float d1 = d1Coeff * (m0[i] - m1[i]);
            float base = sampleCoeff * sample[i] - d0Coeff * d0[i];
            prev[i] = midpoint ? base - d1Weight * d1 : base + d1Weight * d1;
        }
        return prev;
    }

    /** {@code lambda = log(alpha_t) - log(sigma_t)} with {@code sigma_t = sigma * alpha_t}, float32. */
    static float lambda(float sigma) {
        float alpha = alpha(sigma);
        float sigmaT = sigma * alpha;
        return (float) Math.log(alpha) - (float) Math.log(sigmaT);
    }
}
