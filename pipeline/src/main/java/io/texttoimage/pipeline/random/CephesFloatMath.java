package io.texttoimage.pipeline.random;

/**
 * Single-precision log, sine and cosine as PyTorch's AVX2 {@code normal_fill} computes them (Cephes polynomials from
 * {@code avx_mathfun.h}). Reproducing these approximations operation by operation, rather than calling
 * {@link Math#log}, is what makes our normal draws bit-identical to torch's.
 *
 * <p>PyTorch's AVX2 kernels are compiled by GCC with FMA enabled and default floating-point contraction, so a multiply
 * whose only use is an add becomes one fused multiply-add. Rounding each operation separately instead differs from
 * torch in about 1 % of the values (by one ulp); the contracted form matches the reference draws bit for bit.
 */
final class CephesFloatMath {

    private static final float SQRT_HALF = (float) 0.707106781186547524;
    private static final float LOG_P0 = (float) 7.0376836292E-2;
    private static final float LOG_P1 = (float) -1.1514610310E-1;
    private static final float LOG_P2 = (float) 1.1676998740E-1;
    private static final float LOG_P3 = (float) -1.2420140846E-1;
    private static final float LOG_P4 = (float) 1.4249322787E-1;
    private static final float LOG_P5 = (float) -1.6668057665E-1;
    private static final float LOG_P6 = (float) 2.0000714765E-1;
    private static final float LOG_P7 = (float) -2.4999993993E-1;
    private static final float LOG_P8 = (float) 3.3333331174E-1;
    private static final float LOG_Q1 = (float) -2.12194440e-4;
    private static final float LOG_Q2 = (float) 0.693359375;

    private static final float MINUS_DP1 = (float) -0.78515625;
    private static final float MINUS_DP2 = (float) -2.4187564849853515625e-4;
    private static final float MINUS_DP3 = (float) -3.77489497744594108e-8;
    private static final float SIN_P0 = (float) -1.9515295891E-4;
    private static final float SIN_P1 = (float) 8.3321608736E-3;
    private static final float SIN_P2 = (float) -1.6666654611E-1;
    private static final float COS_P0 = (float) 2.443315711809948E-005;
    private static final float COS_P1 = (float) -1.388731625493765E-003;
    private static final float COS_P2 = (float) 4.166664568298827E-002;
    private static final float FOUR_OVER_PI = (float) 1.27323954473516;

    private static final int MIN_NORMAL_BITS = 0x00800000;
    private static final int EXPONENT_MASK = 0x7f800000;

    private CephesFloatMath() {
    }

    /** a * b + c rounded once, where GCC contracts a multiply into the add that consumes it. */
    private static float mulAdd(float a, float b, float c) {
        return Math.fma(a, b, c);
    }

    static float log(float value) {
        if (value <= 0f || Float.isNaN(value)) {
            return Float.NaN;
        }
        float x = Math.max(value, Float.intBitsToFloat(MIN_NORMAL_BITS));
        int bits = Float.floatToRawIntBits(x);
        float e = (float) ((bits >>> 23) - 0x7f);
        e = e + 1f;
        x = Float.intBitsToFloat((bits & ~EXPONENT_MASK) | Float.floatToRawIntBits(0.5f));
        boolean belowSqrtHalf = x < SQRT_HALF;
        float tmp = belowSqrtHalf ? x : 0f;
        x = x - 1f;
        e = e - (belowSqrtHalf ? 1f : 0f);
        x = x + tmp;

        float z = x * x;
        float y = mulAdd(LOG_P0, x, LOG_P1);
        y = mulAdd(y, x, LOG_P2);
        y = mulAdd(y, x, LOG_P3);
        y = mulAdd(y, x, LOG_P4);
        y = mulAdd(y, x, LOG_P5);
        y = mulAdd(y, x, LOG_P6);
        y = mulAdd(y, x, LOG_P7);
        y = mulAdd(y, x, LOG_P8);
        y = y * x;
        y = mulAdd(y, z, e * LOG_Q1);
        y = mulAdd(-z, 0.5f, y);
        x = x + y;
        return mulAdd(e, LOG_Q2, x);
    }

    /** Returns {sin(x), cos(x)}, computed together as {@code sincos256_ps} does. */
    static void sinCos(float value, float[] sinCos) {
        float x = Math.abs(value);
        boolean negative = Float.floatToRawIntBits(value) < 0;
        int j = (int) (x * FOUR_OVER_PI);
        j = (j + 1) & ~1;
        float y = (float) j;
        boolean swapSinSign = (j & 4) != 0;
        // Octants 2, 3, 6, 7 (after rounding j up to even): sine and cosine swap polynomials.
        boolean swapPolynomials = (j & 2) != 0;

        x = mulAdd(y, MINUS_DP1, x);
        x = mulAdd(y, MINUS_DP2, x);
        x = mulAdd(y, MINUS_DP3, x);

        boolean cosNegative = ((j - 2) & 4) == 0;
        boolean sinNegative = negative ^ swapSinSign;

        float z = x * x;
        float cosPoly = mulAdd(COS_P0, z, COS_P1);
        cosPoly = mulAdd(cosPoly, z, COS_P2);
        cosPoly = cosPoly * z;
        cosPoly = mulAdd(cosPoly, z, -(z * 0.5f));
        cosPoly = cosPoly + 1f;

        float sinPoly = mulAdd(SIN_P0, z, SIN_P1);
        sinPoly = mulAdd(sinPoly, z, SIN_P2);
        sinPoly = sinPoly * z;
        sinPoly = mulAdd(sinPoly, x, x);

        // The vector code selects by masking and adding +0, which turns -0 into +0; keep that.
        float sin = (swapPolynomials ? cosPoly : sinPoly) + 0f;
        float cos = (swapPolynomials ? sinPoly : cosPoly) + 0f;
        sinCos[0] = sinNegative ? -sin : sin;
        sinCos[1] = cosNegative ? -cos : cos;
    }
}
