package io.texttoimage.pipeline.random;

/**
 * A bit-exact copy of PyTorch's CPU generator: {@code torch.Generator().manual_seed(seed)} followed by any number of
 * {@code torch.randn(shape, generator=g, dtype=torch.float32)} calls. Seeds give the same initial latents (and the same
 * ancestral noise) as diffusers, ComfyUI and other PyTorch tools that use a CPU generator.
 *
 * <p>PyTorch fills float tensors in two ways, and both are reproduced here:
 * <ul>
 *   <li>16 or more elements: all uniforms first, then Box–Muller on blocks of 16 (first 8 values paired with the next
 *   8) in single precision with the Cephes approximations of its AVX2 kernel; a tail that is not a multiple of 16 is
 *   redrawn with 16 fresh uniforms and recomputes the last 16 values.</li>
 *   <li>fewer than 16 elements: one double-precision Box–Muller per pair of values; the second value of each pair is
 *   cached in the generator and returned by the next scalar draw, even across calls.</li>
 * </ul>
 * Instances are thread-safe; successive calls continue one stream.
 */
public final class TorchGenerator implements NoiseSource {

    private static final int BLOCK = 16;
    private static final int HALF_BLOCK = 8;
    private static final float TWO_PI_FLOAT = (float) (2.0 * Math.PI);
    private static final double FLOAT_UNIFORM_SCALE = 1.0 / (1 << 24);
    private static final double DOUBLE_UNIFORM_SCALE = 1.0 / (1L << 53);

    private final long seed;
    private final Mt19937 engine;
    private double cachedNormal;
    private boolean hasCachedNormal;

    public TorchGenerator(long seed) {
        this.seed = seed;
        this.engine = new Mt19937(seed);
    }

    public long seed() {
        return seed;
    }

    @Override
    public synchronized float[] randn(long... shape) {
        int count = elementCount(shape);
        float[] out = new float[count];
        if (count >= BLOCK) {
            fillNormalBlocks(out);
        } else {
            for (int i = 0; i < count; i++) {
                out[i] = (float) nextScalarNormal();
            }
        }
        return out;
    }

    private static int elementCount(long[] shape) {
        long count = 1;
        for (long dimension : shape) {
            if (dimension < 0) {
                throw new IllegalArgumentException("negative dimension " + dimension);
            }
            count = Math.multiplyExact(count, dimension);
        }
        if (count > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("tensor too large for one Java array: " + count + " elements");
        }
        return (int) count;
    }

    private void fillNormalBlocks(float[] data) {
        int size = data.length;
        for (int i = 0; i < size; i++) {
            data[i] = nextFloatUniform();
        }
        float[] sinCos = new float[2];
        for (int start = 0; start + BLOCK <= size; start += BLOCK) {
            boxMuller16(data, start, sinCos);
        }
        if (size % BLOCK != 0) {
            int start = size - BLOCK;
            for (int i = 0; i < BLOCK; i++) {
                data[start + i] = nextFloatUniform();
            }
            boxMuller16(data, start, sinCos);
        }
    }

    /** Pairs u1 = 1 - data[j] with u2 = data[j + 8] for j in 0..7, as {@code normal_fill_16_AVX2}. */
    private void boxMuller16(float[] data, int start, float[] sinCos) {
        for (int j = 0; j < HALF_BLOCK; j++) {
            float u1 = 1f - data[start + j];
            float u2 = data[start + j + HALF_BLOCK];
            float radius = (float) Math.sqrt(-2f * CephesFloatMath.log(u1));
            float theta = TWO_PI_FLOAT * u2;
            CephesFloatMath.sinCos(theta, sinCos);
            // fmadd(n, std = 1, mean = 0): exact, but keeps the sign of zero as the kernel does.
            data[start + j] = Math.fma(radius * sinCos[1], 1f, 0f);
            data[start + j + HALF_BLOCK] = Math.fma(radius * sinCos[0], 1f, 0f);
        }
    }

    /** {@code at::uniform_real_distribution<float>(0, 1)}: 24 random bits scaled to [0, 1). */
    private float nextFloatUniform() {
        long bits = engine.nextUnsigned32() & 0xffffff;
        return (float) (bits * FLOAT_UNIFORM_SCALE);
    }

    /** {@code at::uniform_real_distribution<double>(0, 1)}: the low 53 bits of random64(). */
    private double nextDoubleUniform() {
        long high = engine.nextUnsigned32();
        long low = engine.nextUnsigned32();
        long bits = ((high << 32) | low) & ((1L << 53) - 1);
        return bits * DOUBLE_UNIFORM_SCALE;
    }

    /** {@code at::normal_distribution<double>(0, 1)} with the generator's cached second value. */
    private double nextScalarNormal() {
        if (hasCachedNormal) {
            hasCachedNormal = false;
            return cachedNormal;
        }
        double u1 = nextDoubleUniform();
        double u2 = nextDoubleUniform();
        double radius = Math.sqrt(-2.0 * Math.log1p(-u2));
        double theta = 2.0 * Math.PI * u1;
        cachedNormal = radius * Math.sin(theta);
        hasCachedNormal = true;
        return radius * Math.cos(theta);
    }
}
