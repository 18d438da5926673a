package io.texttoimage.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

import javax.imageio.ImageIO;

/** Decodes PNGs and compares them pixel by pixel (PNG bytes may differ in compression, pixels may not). */
public final class Pngs {
    private Pngs() {
    }

    public static BufferedImage decode(byte[] png) throws IOException {
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
        if (image == null) {
            throw new AssertionError("not a decodable PNG (" + png.length + " bytes)");
        }
        return image;
    }

    /**
     * The PNG's uncompressed text chunks (tEXt, Latin-1, and iTXt, UTF-8) by keyword, read from the bytes themselves
     * so that what a user's tool would read is what is asserted.
     */
    static Map<String, String> textChunks(byte[] png) {
        Map<String, String> texts = new LinkedHashMap<>();
        ByteBuffer bytes = ByteBuffer.wrap(png);
        bytes.position(8); // the signature
        while (bytes.remaining() >= 12) {
            int length = bytes.getInt();
            String type = new String(png, bytes.position(), 4, StandardCharsets.US_ASCII);
            int data = bytes.position() + 4;
            if (type.equals("tEXt")) {
                int nul = indexOf(png, (byte) 0, data, data + length);
                texts.put(new String(png, data, nul - data, StandardCharsets.ISO_8859_1),
                        new String(png, nul + 1, data + length - nul - 1, StandardCharsets.ISO_8859_1));
            } else if (type.equals("iTXt")) {
                int nul = indexOf(png, (byte) 0, data, data + length);
                if (png[nul + 1] == 0) { // not compressed
                    int languageEnd = indexOf(png, (byte) 0, nul + 3, data + length);
                    int translatedEnd = indexOf(png, (byte) 0, languageEnd + 1, data + length);
                    texts.put(new String(png, data, nul - data, StandardCharsets.ISO_8859_1),
                            new String(png, translatedEnd + 1, data + length - translatedEnd - 1, StandardCharsets.UTF_8));
                }
            }
            bytes.position(data + length + 4); // past the data and the CRC
        }
        return texts;
    }

    private static int indexOf(byte[] bytes, byte value, int from, int to) {
        for (int i = from; i < to; i++) {
            if (bytes[i] == value) {
                return i;
            }
        }
        throw new AssertionError("malformed PNG text chunk: no NUL separator");
    }

    public static void assertSamePixels(BufferedImage expected, BufferedImage actual) {
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
