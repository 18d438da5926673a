package io.texttoimage.pipeline.random;

/**
 * A source of standard-normal noise. Ancestral samplers draw one tensor per step from it; the pipeline draws the initial
 * latents from it.
 */
public interface NoiseSource {

    /**
     * Draws a float32 tensor of standard-normal values in C order.
     *
     * @param shape tensor dimensions, for example {@code [batch, 4, height/8, width/8]}
     * @return a new array with one value per element of {@code shape}
     */
    float[] randn(long... shape);
}
