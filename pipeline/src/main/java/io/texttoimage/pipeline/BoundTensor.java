package io.texttoimage.pipeline;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.ShortBuffer;
import java.util.Arrays;

/**
 * A tensor backed by a direct buffer that this class owns. ONNX Runtime reads inputs from, and writes pinned outputs
 * into, that memory without copying, so a denoising loop rewrites the same buffers every step instead of allocating
 * new tensors. float32 data is converted to and from float16 here, at the boundary, when the model wants half floats.
 */
final class BoundTensor implements AutoCloseable {

    private final OnnxJavaType type;
    private final long[] shape;
    private final int elements;
    private final ByteBuffer bytes;
    private final OnnxTensor tensor;
    // Views made once: absolute get/put on them never move a position, and no view object is allocated per step.
    private final FloatBuffer floatView;
    private final ShortBuffer halfView;

    private BoundTensor(OnnxJavaType type, long[] shape, int elements, ByteBuffer bytes, OnnxTensor tensor) {
        this.type = type;
        this.shape = shape;
        this.elements = elements;
        this.bytes = bytes;
        this.tensor = tensor;
        this.floatView = bytes.asFloatBuffer();
        this.halfView = bytes.asShortBuffer();
    }

    static BoundTensor allocate(OrtEnvironment env, OnnxJavaType type, long... shape) throws OrtException {
        long count = 1;
        for (long dim : shape) {
            count = Math.multiplyExact(count, dim);
        }
        if (count > Integer.MAX_VALUE / 8) {
            throw new IllegalArgumentException("Tensor " + Arrays.toString(shape) + " is too large.");
        }
        int elements = (int) count;
        ByteBuffer bytes = ByteBuffer.allocateDirect(elements * byteSize(type)).order(ByteOrder.nativeOrder());
        OnnxTensor tensor = OnnxTensor.createTensor(env, bytes, shape.clone(), type);
        return new BoundTensor(type, shape.clone(), elements, bytes, tensor);
    }

    /** True for the element types whose values we exchange as Java floats. */
    static boolean isFloatingPoint(OnnxJavaType type) {
        return type == OnnxJavaType.FLOAT || type == OnnxJavaType.FLOAT16;
    }

    private static int byteSize(OnnxJavaType type) {
        return switch (type) {
            case FLOAT, INT32 -> 4;
            case FLOAT16 -> 2;
            case INT64 -> 8;
            default -> throw new IllegalArgumentException("Unsupported tensor element type " + type + ".");
        };
    }

    OnnxTensor tensor() {
        return tensor;
    }

    OnnxJavaType type() {
        return type;
    }

    long[] shape() {
        return shape.clone();
    }

    int elements() {
        return elements;
    }

    /** Writes {@code length} floats from {@code source[sourceOffset..]} at element {@code targetOffset}. */
    void putFloats(int targetOffset, float[] source, int sourceOffset, int length) {
        switch (type) {
            case FLOAT -> floats().put(targetOffset, source, sourceOffset, length);
            case FLOAT16 -> {
                ShortBuffer halves = halfView;
                for (int i = 0; i < length; i++) {
                    halves.put(targetOffset + i, Float.floatToFloat16(source[sourceOffset + i]));
                }
            }
            default -> throw new IllegalStateException("Cannot write floats into a " + type + " tensor.");
        }
    }

    void putFloats(float[] source) {
        putFloats(0, source, 0, source.length);
    }

    /** Fills every element with one value: the timestep, fed as the model's own type (int64 truncates like numpy). */
    void fill(double value) {
        switch (type) {
            case FLOAT -> {
                FloatBuffer view = floats();
                for (int i = 0; i < elements; i++) {
                    view.put(i, (float) value);
                }
            }
            case FLOAT16 -> {
                ShortBuffer view = halfView;
                for (int i = 0; i < elements; i++) {
                    view.put(i, Float.floatToFloat16((float) value));
                }
            }
            case INT64 -> {
                LongBuffer view = bytes.asLongBuffer();
                for (int i = 0; i < elements; i++) {
                    view.put(i, (long) value);
                }
            }
            case INT32 -> {
                IntBuffer view = bytes.asIntBuffer();
                for (int i = 0; i < elements; i++) {
                    view.put(i, (int) value);
                }
            }
            default -> throw new IllegalStateException("Cannot fill a " + type + " tensor.");
        }
    }

    /** Writes token ids. */
    void putInts(int[] source) {
        switch (type) {
            case INT32 -> bytes.asIntBuffer().put(0, source);
            case INT64 -> {
                LongBuffer view = bytes.asLongBuffer();
                for (int i = 0; i < source.length; i++) {
                    view.put(i, source[i]);
                }
            }
            default -> throw new IllegalStateException("Cannot write token ids into a " + type + " tensor.");
        }
    }

    /** Reads {@code length} elements starting at {@code sourceOffset} into {@code target[targetOffset..]}. */
    void getFloats(int sourceOffset, float[] target, int targetOffset, int length) {
        switch (type) {
            case FLOAT -> floats().get(sourceOffset, target, targetOffset, length);
            case FLOAT16 -> {
                ShortBuffer halves = halfView;
                for (int i = 0; i < length; i++) {
                    target[targetOffset + i] = Float.float16ToFloat(halves.get(sourceOffset + i));
                }
            }
            default -> throw new IllegalStateException("Cannot read floats from a " + type + " tensor.");
        }
    }

    void getFloats(float[] target) {
        getFloats(0, target, 0, target.length);
    }

    private FloatBuffer floats() {
        return floatView;
    }

    @Override
    public void close() {
        tensor.close();
    }
}
