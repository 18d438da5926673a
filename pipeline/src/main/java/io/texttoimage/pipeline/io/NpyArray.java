package io.texttoimage.pipeline.io;

import java.util.Arrays;

/**
 * An array read from a {@code .npy} file: its shape, its numpy dtype ({@code <f4}, {@code <f8}, {@code <i8},
 * {@code <i4}) and its values in C order. Floating and integer values convert to either view.
 */
public final class NpyArray {

    private final long[] shape;
    private final String dtype;
    private final double[] floating;
    private final long[] integral;

    NpyArray(long[] shape, String dtype, double[] floating, long[] integral) {
        this.shape = shape.clone();
        this.dtype = dtype;
        this.floating = floating;
        this.integral = integral;
    }

    public long[] shape() {
        return shape.clone();
    }

    /** The numpy type string, for example {@code <f4}. */
    public String dtype() {
        return dtype;
    }

    public int size() {
        return floating != null ? floating.length : integral.length;
    }

    /** The values as float32 (float64 values are rounded, integers converted). */
    public float[] floats() {
        float[] out = new float[size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = floating != null ? (float) floating[i] : (float) integral[i];
        }
        return out;
    }

    /** The values as float64. */
    public double[] doubles() {
        if (floating != null) {
            return floating.clone();
        }
        return Arrays.stream(integral).asDoubleStream().toArray();
    }

    /** The values as int64; floating values must be integral. */
    public long[] longs() {
        if (integral != null) {
            return integral.clone();
        }
        long[] out = new long[floating.length];
        for (int i = 0; i < out.length; i++) {
            double value = floating[i];
            if (value != Math.rint(value)) {
                throw new IllegalStateException("value " + value + " at index " + i + " is not an integer");
            }
            out[i] = (long) value;
        }
        return out;
    }

    @Override
    public String toString() {
        return "NpyArray[" + dtype + " " + Arrays.toString(shape) + "]";
    }
}
