package io.texttoimage.pipeline.io;

import io.texttoimage.pipeline.tokenizer.PromptTokens;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

class PngImagesTest {

    private static final Path CASES = Path.of("../testdata/sd-reference/cases");
    private static final Path SEEDED = Path.of("../testdata/sd-reference/cases-seeded");

    @Test
    void encodedPixelsDecodeIdenticallyWithImageIo() throws IOException {
        int width = 37;
        int height = 23;
        byte[] rgb = new byte[width * height * 3];
        new Random(1).nextBytes(rgb);
        // a smooth region too, so the Sub/Up/Average/Paeth filters get chosen somewhere
        for (int i = 0; i < rgb.length / 2; i++) {
            rgb[i] = (byte) (i / 7);
        }
        byte[] png = PngImages.encodeRgb(rgb, width, height, Map.of());

        BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
        assertEquals(width, image.getWidth());
        assertEquals(height, image.getHeight());
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int argb = image.getRGB(x, y);
                int offset = (y * width + x) * 3;
                assertEquals(rgb[offset] & 0xff, (argb >>> 16) & 0xff, "red at " + x + "," + y);
                assertEquals(rgb[offset + 1] & 0xff, (argb >>> 8) & 0xff, "green at " + x + "," + y);
                assertEquals(rgb[offset + 2] & 0xff, argb & 0xff, "blue at " + x + "," + y);
            }
        }
        assertArrayEquals(rgb, PngImages.decode(png).rgb());
    }

    @Test
    void chunksAreWellFormedWithValidCrcs() {
        byte[] png = PngImages.encodeRgb(new byte[4 * 4 * 3], 4, 4, Map.of("parameters", "a cat"));
        List<String> types = new ArrayList<>();
        ByteBuffer buffer = ByteBuffer.wrap(png, 8, png.length - 8);
        while (buffer.hasRemaining()) {
            int length = buffer.getInt();
            byte[] typeAndData = new byte[4 + length];
            buffer.get(typeAndData);
            CRC32 crc = new CRC32();
            crc.update(typeAndData);
            assertEquals((int) crc.getValue(), buffer.getInt(), "CRC of chunk " + new String(typeAndData, 0, 4));
            types.add(new String(typeAndData, 0, 4, StandardCharsets.US_ASCII));
        }
        assertEquals(List.of("IHDR", "tEXt", "IDAT", "IEND"), types);
    }

    @Test
    void latin1TextGoesIntoTextChunkAndOtherScriptsIntoItxt() {
        String latin = "a café at night\nNegative prompt: blurry";
        String japanese = "富士山の夕焼け、油絵";
        Map<String, String> chunks = new LinkedHashMap<>();
        chunks.put("parameters", latin);
        chunks.put("prompt", japanese);
        byte[] png = PngImages.encodeRgb(new byte[2 * 2 * 3], 2, 2, chunks);

        String raw = new String(png, StandardCharsets.ISO_8859_1);
        assertTrue(raw.contains("tEXtparameters\0" + latin), "Latin-1 text is stored as tEXt");
        assertTrue(raw.contains("iTXtprompt\0\0\0\0\0"), "non-Latin-1 text is stored as uncompressed iTXt");

        RgbImage decoded = PngImages.decode(png);
        assertEquals(latin, decoded.text().get("parameters"));
        assertEquals(japanese, decoded.text().get("prompt"));
    }

    @Test
    void a1111ParametersFollowTheirFormat() {
        String text = PngImages.a1111Parameters("a lighthouse at dawn, oil painting", "blurry", 20, "euler-a", 7.5,
                42, 512, 512, "stable-diffusion-v1-5");
        assertEquals("a lighthouse at dawn, oil painting\nNegative prompt: blurry\n"
                + "Steps: 20, Sampler: Euler a, CFG scale: 7.5, Seed: 42, Size: 512x512, Model: stable-diffusion-v1-5",
                text);

        String noNegative = PngImages.a1111Parameters("cat", null, 30, "dpmpp-2m-karras", 7.0, 1234567, 768, 512,
                "sd15");
        assertEquals("cat\nSteps: 30, Sampler: DPM++ 2M Karras, CFG scale: 7.0, Seed: 1234567, Size: 768x512, "
                + "Model: sd15", noNegative);
    }

    @Test
    void a1111ParametersSayWhatTheTokenizerCutOff() {
        PromptTokens cut = new PromptTokens(80, 77, "in the snow, at night");
        PromptTokens fits = new PromptTokens(12, 77, null);
        String text = PngImages.a1111Parameters("a long prompt", "blurry", 20, "euler-a", 7.5, 42, 512, 512, "sd15",
                cut, fits);
        assertEquals("a long prompt\nNegative prompt: blurry\n"
                + "Steps: 20, Sampler: Euler a, CFG scale: 7.5, Seed: 42, Size: 512x512, Model: sd15, "
                + "Prompt truncated: \"at 77 CLIP tokens (80 given), ignored: in the snow, at night\"", text);

        String negative = PngImages.a1111Parameters("cat", "a \"quoted\" word", 30, "ddim", 7.0, 1, 64, 64, null,
                fits, new PromptTokens(90, 77, "a \"quoted\" word"));
        assertTrue(negative.endsWith(", Negative prompt truncated: \"at 77 CLIP tokens (90 given), ignored: "
                + "a \\\"quoted\\\" word\""), negative);
        assertFalse(negative.contains("Prompt truncated:"), "the prompt itself fitted: " + negative);
    }

    @Test
    void mapsEverySchedulerToItsA1111SamplerName() {
        Map<String, String> expected = Map.of("pndm", "PLMS", "ddim", "DDIM", "euler", "Euler", "euler-a",
                "Euler a", "lms", "LMS", "dpmpp-2m", "DPM++ 2M", "dpmpp-2m-karras", "DPM++ 2M Karras", "unipc",
                "UniPC");
        expected.forEach((ours, theirs) -> assertEquals(theirs, PngImages.samplerName(ours), ours));
    }

    @Test
    void roundsHalvesToEvenLikeNumpyFloat32() {
        // Inputs are float32((k + 0.5) / 255) and neighbours; expected bytes computed with numpy:
        // (np.array(inputs, dtype=np.float32) * 255).round().astype("uint8")
        float[] inputs = {0x1.010102p-9f, 0x1.818182p-8f, 0x1.414142p-7f, 0f, 1f, 0x1.fffffep-2f, 0x1.fbfbfcp-2f,
            0x1.0p-1f, 0x1.020202p-1f};
        int[] numpy = {0, 2, 2, 0, 255, 127, 126, 128, 128};
        byte[] bytes = PngImages.toUint8Rgb(inputs);
        for (int i = 0; i < inputs.length; i++) {
            assertEquals(numpy[i], bytes[i] & 0xff, "input " + inputs[i]);
        }
        byte[] clamped = PngImages.toUint8Rgb(new float[] {-0.2f, 1.7f});
        assertEquals(0, clamped[0] & 0xff);
        assertEquals(255, clamped[1] & 0xff);
    }

    @Test
    void uint8ConversionMatchesDiffusersPngForEveryGoldenCase() throws IOException {
        int images = 0;
        for (Path png : goldenPngs()) {
            Path npy = png.resolveSibling(png.getFileName().toString().replace(".png", ".npy"));
            NpyArray floats = Npy.read(npy);
            long[] shape = floats.shape();
            RgbImage golden = PngImages.decode(Files.readAllBytes(png));
            assertEquals(shape[0], golden.height(), png.toString());
            assertEquals(shape[1], golden.width(), png.toString());
            byte[] ours = PngImages.toUint8Rgb(floats.floats());
            int differing = 0;
            for (int i = 0; i < ours.length; i++) {
                if (ours[i] != golden.rgb()[i]) {
                    differing++;
                }
            }
            assertEquals(0, differing, png + ": values differing from the golden PNG");
            images++;
        }
        assertEquals(18, images, "14 cases + 4 seeded images");
    }

    @Test
    void decoderOutputConversionMatchesDiffusersFloatImage() {
        NpyArray decoder = Npy.read(CASES.resolve("dev03/vae_decoder_out.npy"));
        long[] shape = decoder.shape(); // [1, 3, 64, 128]
        float[] hwc = PngImages.decoderOutputToHwc(decoder.floats(), (int) shape[1], (int) shape[2], (int) shape[3]);
        float[] expected = Npy.read(CASES.resolve("dev03/image.npy")).floats();
        assertArrayEquals(expected, hwc, 0f);
    }

    @Test
    void rejectsWrongPixelCount() {
        assertThrows(IllegalArgumentException.class, () -> PngImages.encodeRgb(new byte[10], 2, 2, Map.of()));
        assertThrows(IllegalArgumentException.class,
                () -> PngImages.encodeRgb(new byte[12], 2, 2, Map.of("", "empty keyword")));
    }

    private static List<Path> goldenPngs() throws IOException {
        List<Path> pngs = new ArrayList<>();
        for (Path root : List.of(CASES, SEEDED)) {
            try (var files = Files.walk(root)) {
                files.filter(p -> p.toString().endsWith(".png")).sorted().forEach(pngs::add);
            }
        }
        return pngs;
    }
}
