package io.texttoimage.pipeline.preview;

import io.texttoimage.pipeline.io.PngImages;
import io.texttoimage.pipeline.io.RgbImage;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The SD 1.5 linear latent-to-RGB preview: known latents give known colours, one pixel per latent position. */
class LatentPreviewTest {

    /** One image of 2×1 latent positions whose 4 channels are given per position. */
    private static StepLatents twoPixels(float[] left, float[] right) {
        float[] values = new float[8];
        for (int c = 0; c < 4; c++) {
            values[c * 2] = left[c];
            values[c * 2 + 1] = right[c];
        }
        return new StepLatents(values, true, 1, 4, 1, 2);
    }

    @Test
    void knownLatentsGiveKnownColours() {
        // (0,0,0,0) is the middle grey: (0 + 1) / 2 · 255 = 127.5, truncated like ComfyUI's cast to uint8.
        // (1,0,0,0) is the first factor row: ((0.3512, 0.2297, 0.3227) + 1) / 2 · 255 = (172.28, 156.79, 168.64).
        LatentPreview preview = LatentPreview.of(twoPixels(new float[] {0, 0, 0, 0}, new float[] {1, 0, 0, 0}), 0);
        assertEquals(2, preview.width());
        assertEquals(1, preview.height());
        assertArrayEquals(new byte[] {127, 127, 127, (byte) 172, (byte) 156, (byte) 168}, preview.rgb());
    }

    @Test
    void coloursOutsideTheRangeAreClamped() {
        // channel 4 at -2: (0.4240, 0.5232, 1.4354) → R 181.56, G 194.21, B clamped to 255;
        // channel 1 at -4: (-1.4048, -0.9188, -1.2908) → R and B clamped to 0, G 10.35
        LatentPreview preview = LatentPreview.of(twoPixels(new float[] {0, 0, 0, -2}, new float[] {-4, 0, 0, 0}), 0);
        assertArrayEquals(new byte[] {(byte) 181, (byte) 194, (byte) 255, 0, 10, 0}, preview.rgb());
    }

    @Test
    void aDivergedRunGivesBlackNotAnException() {
        LatentPreview preview = LatentPreview.of(twoPixels(new float[] {Float.NaN, 0, 0, 0},
                new float[] {Float.POSITIVE_INFINITY, 0, 0, 0}), 0);
        assertArrayEquals(new byte[] {0, 0, 0, (byte) 255, (byte) 255, (byte) 255}, preview.rgb());
    }

    @Test
    void eachImageOfABatchHasItsOwnPreviewInRowMajorOrder() {
        // 2 images of 2 rows × 3 columns; image 1 has channel 1 = 1 at row 1, column 2 only.
        int plane = 6;
        float[] values = new float[2 * 4 * plane];
        values[4 * plane + 5] = 1f;
        StepLatents latents = new StepLatents(values, false, 2, 4, 2, 3);
        LatentPreview first = LatentPreview.of(latents, 0);
        LatentPreview second = LatentPreview.of(latents, 1);
        assertEquals(3, second.width());
        assertEquals(2, second.height());
        for (int i = 0; i < plane * 3; i++) {
            assertEquals(127, Byte.toUnsignedInt(first.rgb()[i]), "image 0 is all grey");
        }
        assertEquals(172, Byte.toUnsignedInt(second.rgb()[5 * 3]), "red of the last pixel");
        assertEquals(127, Byte.toUnsignedInt(second.rgb()[4 * 3]), "its neighbour is grey");
        assertThrows(IllegalArgumentException.class, () -> LatentPreview.of(latents, 2));
    }

    @Test
    void onlyFourChannelLatentsArePreviewed() {
        assertTrue(LatentPreview.supports(4));
        assertFalse(LatentPreview.supports(16));
        StepLatents sixteen = new StepLatents(new float[16], true, 1, 16, 1, 1);
        assertThrows(IllegalArgumentException.class, () -> LatentPreview.of(sixteen, 0));
        assertThrows(IllegalArgumentException.class, () -> new StepLatents(new float[15], true, 1, 4, 2, 2));
    }

    @Test
    void thePngDecodesToTheSamePixelsAndStaysSmallAtLatentResolution() {
        // 64×64 latents (a 512×512 image) drawn like a predicted clean sample: smooth, |x| of a few units.
        Random random = new Random(1);
        float[] values = new float[4 * 64 * 64];
        for (int c = 0; c < 4; c++) {
            double phase = random.nextDouble() * 6;
            for (int y = 0; y < 64; y++) {
                for (int x = 0; x < 64; x++) {
                    values[(c * 64 + y) * 64 + x] = (float) (1.5 * Math.sin(phase + x / 9.0 + y / 13.0)
                            + 0.3 * random.nextGaussian());
                }
            }
        }
        LatentPreview preview = LatentPreview.of(new StepLatents(values, true, 1, 4, 64, 64), 0);
        byte[] png = preview.png();
        RgbImage decoded = PngImages.decode(png);
        assertEquals(64, decoded.width());
        assertEquals(64, decoded.height());
        assertArrayEquals(preview.rgb(), decoded.rgb());
        assertTrue(png.length < 64 * 64 * 3, "compressed: " + png.length + " bytes");
        System.out.printf("64x64 preview PNG: %d bytes (raw RGB %d)%n", png.length, 64 * 64 * 3);
    }
}
