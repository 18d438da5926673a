package io.texttoimage.pipeline.scheduler;

/**
 * The few numpy routines diffusers uses to build schedules, with numpy's exact float64 arithmetic so that
 * rounded timesteps and interpolated sigmas come out identical.
 */
final class NumpyMath {

    private NumpyMath() {
    }

    /** {@code np.linspace(start, stop, num)} (endpoint included; element i is {@code i * step + start}). */
    static double[] linspace(double start, double stop, int num) {
        double[] values = new double[num];
        if (num == 0) {
            return values;
        }
        int divisions = num - 1;
        if (divisions == 0) {
            values[0] = start;
            return values;
        }
        double step = (stop - start) / divisions;
        for (int i = 0; i < num; i++) {
            values[i] = i * step + start;
        }
        values[num - 1] = stop;
        return values;
    }

    /**
     * {@code np.arange(start, stop, step)} for doubles: length {@code ceil((stop - start) / step)}, the first two
     * values {@code start} and {@code start + step}, the rest {@code start + i * delta} with {@code delta}
     * re-derived from those two values, as numpy's fill does.
     */
    static double[] arange(double start, double stop, double step) {
        double span = Math.ceil((stop - start) / step);
        int length = span > 0 ? (int) span : 0;
        double[] values = new double[length];
        if (length > 0) {
            values[0] = start;
        }
        if (length > 1) {
            values[1] = start + step;
            double delta = values[1] - values[0];
            for (int i = 2; i < length; i++) {
                values[i] = start + i * delta;
            }
        }
        return values;
    }

    /** {@code np.round} (half to even), element-wise, in place. */
    static double[] round(double[] values) {
        for (int i = 0; i < values.length; i++) {
            values[i] = Math.rint(values[i]);
        }
        return values;
    }

    static double[] reverse(double[] values) {
        double[] reversed = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            reversed[i] = values[values.length - 1 - i];
        }
        return reversed;
    }

    /** {@code np.interp(x, np.arange(len(table)), table)}: linear interpolation on the integer grid, float64 result. */
    static double interpOnIndexGrid(double x, float[] table) {
        int last = table.length - 1;
        if (x <= 0) {
            return table[0];
        }
        if (x >= last) {
            return table[last];
        }
        int j = (int) Math.floor(x);
        if (x == j) {
            return table[j];
        }
        double slope = ((double) table[j + 1] - table[j]) / 1.0;
        return slope * (x - j) + table[j];
    }

    /** numpy's {@code NPY_SQRT1_2f}, {@code NPY_LOGE2f} and the minimax coefficients of its float32 log. */
    private static final float SQRT1_2 = 0.707106781186547524400844362104849039f;
    private static final float LN2 = 0.693147180559945309417232121458176568f;
    private static final float[] LOG_P = {0.0f, 9.999999999999998702752e-01f, 2.112677543073053063722e+00f,
        1.480000633576506585156e+00f, 3.808837741388407920751e-01f, 2.589979117907922693523e-02f};
    private static final float[] LOG_Q = {1.0f, 2.612677543073109236779e+00f, 2.453006071784736363091e+00f,
        9.864942958519418960339e-01f, 1.546476374983906719538e-01f, 5.875095403124574342950e-03f};
    private static final float TWO_TO_100 = 0x1p100f;

    /**
     * {@code np.log} of a float32 array as numpy 1.24 computes it on x86-64 (its AVX2/FMA3 and AVX512F kernels): not
     * a correctly rounded log but log(m) + e ln2 with m in [sqrt(1/2), sqrt(2)) and log(m) a 5/5 rational minimax
     * approximation of log(1 + x) evaluated with fused multiply-adds, up to 3.8 ulps from the true value. diffusers
     * takes the log of the training sigmas this way, and Karras timesteps interpolate linearly in that table, where an
     * ulp moves a timestep by about 1e-4.
     */
    static float logFloat32(float value) {
        if (!(value > 0f) || value == Float.POSITIVE_INFINITY) {
            return (float) Math.log(value); // NaN, negative (NaN), 0 (-inf) and +inf follow IEEE as numpy does
        }
        float scaled = value < Float.MIN_NORMAL ? value * TWO_TO_100 : value;
        int bits = Float.floatToRawIntBits(scaled);
        // value = mantissa * 2^exponent with the mantissa in [0.5, 1)
        float exponent = (bits >>> 23) - 126 - (value < Float.MIN_NORMAL ? 100 : 0);
        float mantissa = Float.intBitsToFloat((bits & 0x7fffff) | (126 << 23));
        if (mantissa <= SQRT1_2) {
            mantissa = mantissa + mantissa;
            exponent = exponent - 1f;
        }
        float x = mantissa - 1f;
        float numerator = horner(LOG_P, x);
        float denominator = horner(LOG_Q, x);
        return Math.fma(exponent, LN2, numerator / denominator);
    }

    /** {@code c[5] x^5 + … + c[0]} by Horner's rule with fused multiply-adds. */
    private static float horner(float[] c, float x) {
        float sum = Math.fma(c[5], x, c[4]);
        for (int i = 3; i >= 0; i--) {
            sum = Math.fma(sum, x, c[i]);
        }
        return sum;
    }
}
