package io.texttoimage.pipeline.scheduler;

import io.texttoimage.pipeline.random.NoiseSource;

import java.util.ArrayList;
import java.util.List;

/**
 * diffusers' {@code LMSDiscreteScheduler}: a linear multistep method of order 4 (fewer during warm-up) on the
 * probability-flow ODE in sigma. Its coefficients are integrals of Lagrange basis polynomials between consecutive
 * sigmas; diffusers integrates them numerically with {@code scipy.integrate.quad}. The polynomials have degree at most
 * 3, so a 3-point Gauss–Legendre rule (exact up to degree 5) gives them to rounding error.
 */
final class LmsScheduler extends DiscreteSigmaScheduler {

    /** diffusers' default {@code order} argument of {@code step}. */
    static final int LMS_ORDER = 4;

    private static final double[] GAUSS_NODES = {-Math.sqrt(3.0 / 5.0), 0.0, Math.sqrt(3.0 / 5.0)};
    private static final double[] GAUSS_WEIGHTS = {5.0 / 9.0, 8.0 / 9.0, 5.0 / 9.0};

    private final boolean useKarrasSigmas;
    private final List<float[]> derivatives = new ArrayList<>();

    LmsScheduler(String name, SchedulerConfig source) {
        super(name, source);
        this.useKarrasSigmas = config.booleanValue("use_karras_sigmas", false);
    }

    @Override
    protected double[] karrasSigmas(double[] interpolated, int numInferenceSteps) {
        return useKarrasSigmas ? karrasOverInterpolated(interpolated, numInferenceSteps) : null;
    }

    @Override
    protected void onTimestepsSet() {
        derivatives.clear();
    }

    @Override
    public float[] step(float[] modelOutput, float timestep, float[] sample, NoiseSource noise) {
        requireSameLength(modelOutput, sample);
        int index = currentStepIndex(timestep, false);
        float sigma = sigmas[index];
        float vOutputScale = vOutputScale(sigma);
        float vSampleScale = vSampleScale(sigma);
        float[] derivative = new float[sample.length];
        float[] predicted = new float[sample.length];
        for (int i = 0; i < derivative.length; i++) {
            float predOriginal = predictOriginal(modelOutput[i], sample[i], sigma, vOutputScale, vSampleScale);
            predicted[i] = predOriginal;
            derivative[i] = (sample[i] - predOriginal) / sigma;
        }
        this.predOriginal = predicted;
        derivatives.add(derivative);
        if (derivatives.size() > LMS_ORDER) {
            derivatives.remove(0);
        }
        int order = Math.min(index + 1, LMS_ORDER);
        float[] prev = new float[sample.length];
        float[] sum = new float[sample.length];
        for (int j = 0; j < order; j++) {
            // The j-th coefficient goes with the j-th most recent derivative; torch rounds it to float32.
            float coefficient = (float) lmsCoefficient(order, index, j);
            float[] d = derivatives.get(derivatives.size() - 1 - j);
            for (int i = 0; i < sum.length; i++) {
                sum[i] += coefficient * d[i];
            }
        }
        for (int i = 0; i < prev.length; i++) {
            prev[i] = sample[i] + sum[i];
        }
        stepIndex++;
        return prev;
    }

    /** Integral over [sigma_t, sigma_{t+1}] of the Lagrange basis polynomial for node {@code t - current}. */
    double lmsCoefficient(int order, int t, int current) {
        double from = sigmas[t];
        double to = sigmas[t + 1];
        double half = (to - from) / 2;
        double middle = (to + from) / 2;
        double integral = 0;
        for (int q = 0; q < GAUSS_NODES.length; q++) {
            double tau = middle + half * GAUSS_NODES[q];
            double product = 1.0;
            for (int k = 0; k < order; k++) {
                if (k == current) {
                    continue;
                }
                product *= (tau - sigmas[t - k]) / ((double) sigmas[t - current] - sigmas[t - k]);
            }
            integral += GAUSS_WEIGHTS[q] * product;
        }
        return integral * half;
    }
}
