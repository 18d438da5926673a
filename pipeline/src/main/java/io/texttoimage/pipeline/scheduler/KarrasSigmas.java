package io.texttoimage.pipeline.scheduler;

/** Karras et al. (2022) noise levels and the sigma-to-timestep mapping diffusers uses with them. */
final class KarrasSigmas {

    private static final double RHO = 7.0;

    private KarrasSigmas() {
    }

    /** {@code n} sigmas from {@code sigmaMax} down to {@code sigmaMin}, evenly spaced in sigma^(1/rho). */
    static double[] sigmas(double sigmaMin, double sigmaMax, int n) {
        double[] ramp = NumpyMath.linspace(0, 1, n);
        double minInvRho = Math.pow(sigmaMin, 1 / RHO);
        double maxInvRho = Math.pow(sigmaMax, 1 / RHO);
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = Math.pow(maxInvRho + ramp[i] * (minInvRho - maxInvRho), RHO);
        }
        return out;
    }

    /** {@code np.log} of the float32 training sigmas, in float32 the way numpy computes it. */
    static float[] logSigmas(float[] trainSigmas) {
        float[] out = new float[trainSigmas.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = NumpyMath.logFloat32(trainSigmas[i]);
        }
        return out;
    }

    /**
     * diffusers' {@code _sigma_to_t} on numpy values: the fractional training timestep whose log-sigma matches, by
     * linear interpolation between the two bracketing entries of {@code logSigmas}. numpy 1.x meets the float64
     * {@code log(sigma)} with the float32 table in float32, so the weight is float32; only the final
     * {@code (1 - w) * low + w * high} runs in float64, because the indices are int64 arrays.
     */
    static double sigmaToT(double sigma, float[] logSigmas) {
        Bracket bracket = Bracket.of(sigma, logSigmas);
        return (double) (1f - bracket.weight()) * bracket.low() + (double) bracket.weight() * (bracket.low() + 1);
    }

    /**
     * The same function called on torch tensors, as KDPM2 does for its interpolated sigmas: torch keeps the products
     * with the int64 indices in float32 too, so the timestep itself is a float32 value.
     */
    static float sigmaToTOnTensors(float sigma, float[] logSigmas) {
        Bracket bracket = Bracket.of(sigma, logSigmas);
        return (1f - bracket.weight()) * bracket.low() + bracket.weight() * (bracket.low() + 1);
    }

    /** The table entries {@code low} and {@code low + 1} around a log-sigma, and its float32 weight towards the upper. */
    private record Bracket(int low, float weight) {

        static Bracket of(double sigma, float[] logSigmas) {
            float logSigma = (float) Math.log(Math.max(sigma, 1e-10));
            // the last entry at or below log(sigma) (argmax of the cumulative count), at most the second-to-last
            int low = 0;
            for (int i = 0; i < logSigmas.length; i++) {
                if (logSigma >= logSigmas[i]) {
                    low = i;
                }
            }
            low = Math.min(low, logSigmas.length - 2);
            float lowLog = logSigmas[low];
            float weight = (lowLog - logSigma) / (lowLog - logSigmas[low + 1]);
            return new Bracket(low, Math.max(0f, Math.min(1f, weight)));
        }
    }
}
