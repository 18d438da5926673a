package io.texttoimage.pipeline.io;

import java.util.Map;

/**
 * A decoded 8-bit RGB image with its PNG text chunks.
 *
 * @param rgb  width × height × 3 bytes, row-major, R G B
 * @param text keyword → text of every tEXt and iTXt chunk
 */
public record RgbImage(int width, int height, byte[] rgb, Map<String, String> text) {

    /** The channel value (0..255) at a pixel; channel 0 = red, 1 = green, 2 = blue. */
    public int value(int x, int y, int channel) {
        return Byte.toUnsignedInt(rgb[(y * width + x) * 3 + channel]);
    }
}
