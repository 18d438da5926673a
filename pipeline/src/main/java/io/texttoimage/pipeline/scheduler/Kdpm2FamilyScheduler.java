package io.texttoimage.pipeline.scheduler;

/**
 * What KDPM2 and KDPM2 ancestral share: the model's second evaluation of a step happens at a midpoint sigma (a
 * geometric mean, computed with torch tensor ops) and at that midpoint's own fractional timestep, which diffusers
 * derives with {@code _sigma_to_t} on torch tensors; Karras timesteps are rounded; x0 predictions are not supported.
 */
abstract class Kdpm2FamilyScheduler extends SecondOrderDiscreteScheduler {

    /** {@code log} of the training sigmas (numpy's float32 log, as diffusers stores {@code log_sigmas}). */
    private final float[] trainLogSigmas;

    Kdpm2FamilyScheduler(String name, SchedulerConfig source) {
        super(name, source);
        if ("sample".equals(predictionType)) {
            throw new IllegalArgumentException("the " + name + " scheduler supports prediction_type epsilon or "
                    + "v_prediction, not sample");
        }
        this.trainLogSigmas = KarrasSigmas.logSigmas(trainSigmas);
    }

    /** KDPM2 rounds the timesteps of Karras sigmas to whole numbers (its midpoint timesteps stay fractional). */
    @Override
    protected final double[] timestepsForSigmas(double[] sigmaValues) {
        return NumpyMath.round(super.timestepsForSigmas(sigmaValues));
    }

    /**
     * torch's {@code a.log().lerp(b.log(), 0.5).exp()} in float32: the geometric mean of two sigmas, 0 when
     * {@code a} is 0, NaN when {@code b} is 0 (diffusers never uses those). torch's lerp with a weight of at least 0.5
     * computes {@code end - (end - start) * (1 - weight)}; the factor 0.5 is exact, so no rounding choice remains.
     */
    protected static float logMidpoint(float a, float b) {
        float logA = (float) Math.log(a);
        float logB = (float) Math.log(b);
        return TorchFloatMath.exp(logB - (logB - logA) * 0.5f);
    }

    /** The fractional timestep of a midpoint sigma (see {@link KarrasSigmas#sigmaToTOnTensors}). */
    protected final float midpointTimestep(float sigma) {
        return KarrasSigmas.sigmaToTOnTensors(sigma, trainLogSigmas);
    }
}
