package io.texttoimage.pipeline.scheduler;

/**
 * float32 {@code torch.exp} as torch's CPU build computes it: through SLEEF's vectorised {@code expf} (1-ulp accuracy,
 * fused multiply-adds), not a correctly rounded exp. The DPM-Solver coefficients depend on {@code exp(-h)}; matching
 * SLEEF makes the golden diffusers steps reproduce bit for bit instead of differing in the last float32 bit.
 */
final class TorchFloatMath {

    private static final float INVERSE_LN2 = 1.442695040888963407359924681001892137426645954152985934135449406931f;
    private static final float LN2_UPPER = 0.693145751953125f;
    private static final float LN2_LOWER = 1.428606765330187045e-06f;

    private TorchFloatMath() {
    }

    static float exp(float d) {
        if (Float.isNaN(d)) {
            return d;
        }
        if (d < -104f) {
            return 0f;
        }
        if (d > 104f) {
            return Float.POSITIVE_INFINITY;
        }
        // Range reduction d = q ln2 + s with ln2 split in two parts, then a degree-7 polynomial for e^s.
        int q = (int) Math.rint(d * INVERSE_LN2);
        float s = Math.fma((float) q, -LN2_UPPER, d);
        s = Math.fma((float) q, -LN2_LOWER, s);
        float u = 0.000198527617612853646278381f;
        u = Math.fma(u, s, 0.00139304355252534151077271f);
        u = Math.fma(u, s, 0.00833336077630519866943359f);
        u = Math.fma(u, s, 0.0416664853692054748535156f);
        u = Math.fma(u, s, 0.166666671633720397949219f);
        u = Math.fma(u, s, 0.5f);
        u = 1.0f + Math.fma(s * s, u, s);
        return Math.scalb(u, q);
    }
}
