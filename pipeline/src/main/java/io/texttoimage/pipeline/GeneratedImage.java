package io.texttoimage.pipeline;

/**
 * One generated image: the PNG bytes (with an A1111 {@code parameters} text chunk) and the float image before the uint8
 * conversion, HWC order, values in 0..1.
 */
public record GeneratedImage(int index, int width, int height, byte[] png, float[] pixelsHwc) {
}
