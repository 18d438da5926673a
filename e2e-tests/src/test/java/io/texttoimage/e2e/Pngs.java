package io.texttoimage.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;

import javax.imageio.ImageIO;

/** Decodes PNGs and compares them pixel by pixel (PNG bytes may differ in compression, pixels may not). */
final class Pngs {
    private Pngs() {
    }

    static BufferedImage decode(byte[] png) throws IOException {
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
        if (image == null) {
            throw new AssertionError("not a decodable PNG (" + png.length + " bytes)");
        }
        return image;
    }

    static void assertSamePixels(BufferedImage expected, BufferedImage actual) {
        assertEquals(expected.getWidth(), actual.getWidth(), "width");
        assertEquals(expected.getHeight(), actual.getHeight(), "height");
        int differing = 0;
        int firstX = -1;
        int firstY = -1;
        for (int y = 0; y < expected.getHeight(); y++) {
            for (int x = 0; x < expected.getWidth(); x++) {
                if (expected.getRGB(x, y) != actual.getRGB(x, y)) {
                    if (differing++ == 0) {
                        firstX = x;
                        firstY = y;
                    }
                }
            }
        }
        if (differing > 0) {
            throw new AssertionError(differing + " of " + expected.getWidth() * expected.getHeight()
                    + " pixels differ; first at (" + firstX + "," + firstY + "): expected #"
                    + Integer.toHexString(expected.getRGB(firstX, firstY)) + " got #" + Integer.toHexString(actual.getRGB(firstX, firstY)));
        }
    }
}
