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
}
