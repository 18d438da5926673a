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

    /** {@code np.log} of the float32 training sigmas, kept in float32 as numpy does. */
    static float[] logSigmas(float[] trainSigmas) {
        float[] out = new float[trainSigmas.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) Math.log(trainSigmas[i]);
        }
        return out;
    }

    /** diffusers' {@code _sigma_to_t}: the fractional training timestep whose log-sigma matches, by interpolation. */
    static double sigmaToT(double sigma, float[] logSigmas) {
        double logSigma = Math.log(Math.max(sigma, 1e-10));
        int low = 0;
        for (int i = 0; i < logSigmas.length; i++) {
            if (logSigma - logSigmas[i] >= 0) {
                low = i;
            }
        }
        low = Math.min(low, logSigmas.length - 2);
        int high = low + 1;
        float lowLog = logSigmas[low];
        float highLog = logSigmas[high];
        double w = (lowLog - logSigma) / (double) (lowLog - highLog); // numpy: float32 - float32 stays float32
        w = Math.max(0, Math.min(1, w));
        return (1 - w) * low + w * high;
    }
}
