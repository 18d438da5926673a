package io.texttoimage.pipeline.io;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import io.texttoimage.contracts.SchedulerNames;
import io.texttoimage.pipeline.tokenizer.PromptTokens;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;
import javax.imageio.ImageIO;

/**
 * Writes 8-bit RGB PNG files with text metadata, and converts the pipeline's float images to bytes exactly as diffusers
 * does. Metadata follows AUTOMATIC1111's convention (everything in one {@code parameters} chunk), so tools that read
 * A1111 images (PNG Info tabs, image browsers) show our prompts and settings.
 */
public final class PngImages {

    private static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    private static final int BYTES_PER_PIXEL = 3;
    private static final int MAX_KEYWORD_LENGTH = 79;

    private PngImages() {
    }

    // ------------------------------------------------------------------ float → uint8

    /**
     * diffusers' {@code numpy_to_pil}: {@code (image * 255).round().astype("uint8")} on a float32 HWC image in [0, 1].
     * The product is rounded in float32 and numpy rounds halves to even, which {@link Math#rint} does too. Values are
     * clamped to [0, 1] first so out-of-range input cannot wrap around.
     */
    public static byte[] toUint8Rgb(float[] hwc) {
        byte[] out = new byte[hwc.length];
        for (int i = 0; i < hwc.length; i++) {
            float unit = Math.min(Math.max(hwc[i], 0f), 1f);
            out[i] = (byte) (int) Math.rint(unit * 255f);
        }
        return out;
    }

    /**
     * The VAE decoder's CHW output in about [-1, 1] to diffusers' float HWC image: {@code clamp(x / 2 + 0.5, 0, 1)},
     * transposed.
     */
    public static float[] decoderOutputToHwc(float[] chw, int channels, int height, int width) {
        float[] hwc = new float[chw.length];
        int plane = height * width;
        for (int c = 0; c < channels; c++) {
            for (int p = 0; p < plane; p++) {
                float value = chw[c * plane + p] / 2f + 0.5f;
                hwc[p * channels + c] = Math.min(Math.max(value, 0f), 1f);
            }
        }
        return hwc;
    }

    // ------------------------------------------------------------------ A1111 parameters

    /**
     * AUTOMATIC1111's "parameters" text: prompt, an optional {@code Negative prompt:} line, then
     * {@code Steps: 20, Sampler: Euler a, CFG scale: 7.5, Seed: 42, Size: 512x512, Model: name}.
     *
     * @param scheduler our scheduler name ({@code euler-a}, {@code dpmpp-2m-karras}, …), shown as A1111's sampler name
     */
    public static String a1111Parameters(String prompt, String negativePrompt, int steps, String scheduler,
            double guidanceScale, long seed, int width, int height, String modelName) {
        return a1111Parameters(prompt, negativePrompt, steps, scheduler, guidanceScale, seed, width, height, modelName,
                null, null);
    }

    /**
     * The same text, and for a prompt longer than the tokenizer's limit a {@code Prompt truncated} (or
     * {@code Negative prompt truncated}) entry in the settings line:
     * {@code Prompt truncated: "at 77 CLIP tokens (120 given), ignored: <the dropped text>"}. The prompts stay as they
     * were asked for, so that sending them again reproduces the image, and tools that read A1111's format still parse
     * the text: the settings line is the last line and its values are quoted as A1111 quotes them.
     *
     * @param promptTokens   what the tokenizer kept of the prompt; null when unknown
     * @param negativeTokens what it kept of the negative prompt; null when unknown or not encoded
     */
    public static String a1111Parameters(String prompt, String negativePrompt, int steps, String scheduler,
            double guidanceScale, long seed, int width, int height, String modelName, PromptTokens promptTokens,
            PromptTokens negativeTokens) {
        StringBuilder text = new StringBuilder(prompt == null ? "" : prompt);
        if (negativePrompt != null && !negativePrompt.isEmpty()) {
            text.append("\nNegative prompt: ").append(negativePrompt);
        }
        text.append("\nSteps: ").append(steps)
                .append(", Sampler: ").append(samplerName(scheduler))
                .append(", CFG scale: ").append(pythonFloat(guidanceScale))
                .append(", Seed: ").append(seed)
                .append(", Size: ").append(width).append('x').append(height);
        if (modelName != null && !modelName.isBlank()) {
            text.append(", Model: ").append(modelName);
        }
        appendTruncation(text, "Prompt truncated", promptTokens);
        appendTruncation(text, "Negative prompt truncated", negativeTokens);
        return text.toString();
    }

    private static void appendTruncation(StringBuilder text, String key, PromptTokens tokens) {
        if (tokens != null && tokens.truncated()) {
            text.append(", ").append(key).append(": ").append(a1111Quote("at " + tokens.maxTokens()
                    + " CLIP tokens (" + tokens.tokens() + " given), ignored: " + tokens.droppedText()));
        }
    }

    /** A1111's {@code quote}: a value with a comma, colon or line break is written as a JSON string. */
    private static String a1111Quote(String value) {
        if (value.indexOf(',') < 0 && value.indexOf(':') < 0 && value.indexOf('\n') < 0) {
            return value;
        }
        return '"' + new String(JsonStringEncoder.getInstance().quoteAsString(value)) + '"';
    }

    /**
     * A1111's name for one of our schedulers ({@link SchedulerNames#a1111Name}); names A1111 has no sampler for
     * ({@code heun-karras}, …) and unknown names pass through unchanged.
     */
    public static String samplerName(String scheduler) {
        return scheduler == null ? "" : SchedulerNames.a1111Name(scheduler).orElse(scheduler);
    }

    /** Formats like Python's {@code str(float)} for ordinary values: 7.0, 7.5, 12.25. */
    private static String pythonFloat(double value) {
        if (value == Math.rint(value) && Math.abs(value) < 1e15) {
            return String.format(Locale.ROOT, "%.1f", value);
        }
        return BigDecimal.valueOf(value).stripTrailingZeros().toPlainString();
    }

    // ------------------------------------------------------------------ encoding

    /**
     * Encodes 8-bit RGB pixels (row-major, 3 bytes per pixel) as a PNG. Text chunks become tEXt when they are Latin-1
     * and iTXt (UTF-8) otherwise, as Pillow does, so prompts in any script survive.
     */
    public static byte[] encodeRgb(byte[] rgb, int width, int height, Map<String, String> textChunks) {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("image size must be positive, got " + width + "x" + height);
        }
        if (rgb.length != (long) width * height * BYTES_PER_PIXEL) {
            throw new IllegalArgumentException("expected " + (long) width * height * BYTES_PER_PIXEL
                    + " bytes for " + width + "x" + height + " RGB, got " + rgb.length);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(rgb.length / 2 + 1024);
        out.writeBytes(SIGNATURE);
        writeChunk(out, "IHDR", header(width, height));
        if (textChunks != null) {
            textChunks.forEach((keyword, text) -> writeTextChunk(out, keyword, text));
        }
        writeChunk(out, "IDAT", compress(filterRows(rgb, width, height)));
        writeChunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    private static byte[] header(int width, int height) {
        return ByteBuffer.allocate(13).putInt(width).putInt(height)
                .put((byte) 8)   // bit depth
                .put((byte) 2)   // colour type: truecolour
                .put((byte) 0)   // deflate
                .put((byte) 0)   // adaptive filtering
                .put((byte) 0)   // no interlace
                .array();
    }

    private static void writeTextChunk(ByteArrayOutputStream out, String keyword, String text) {
        byte[] key = keyword.getBytes(StandardCharsets.ISO_8859_1);
        if (keyword.isEmpty() || key.length > MAX_KEYWORD_LENGTH || !isLatin1(keyword) || keyword.indexOf(0) >= 0) {
            throw new IllegalArgumentException("PNG text keyword must be 1-79 Latin-1 characters: '" + keyword + "'");
        }
        String value = text == null ? "" : text;
        ByteArrayOutputStream chunk = new ByteArrayOutputStream(key.length + value.length() + 8);
        chunk.writeBytes(key);
        chunk.write(0);
        if (isLatin1(value) && value.indexOf(0) < 0) {
            chunk.writeBytes(value.getBytes(StandardCharsets.ISO_8859_1));
            writeChunk(out, "tEXt", chunk.toByteArray());
        } else {
            chunk.write(0); // not compressed
            chunk.write(0); // compression method
            chunk.write(0); // empty language tag
            chunk.write(0); // empty translated keyword
            chunk.writeBytes(value.getBytes(StandardCharsets.UTF_8));
            writeChunk(out, "iTXt", chunk.toByteArray());
        }
    }

    private static boolean isLatin1(String text) {
        CharsetEncoder encoder = StandardCharsets.ISO_8859_1.newEncoder();
        return encoder.canEncode(text);
    }

    private static void writeChunk(ByteArrayOutputStream out, String type, byte[] data) {
        byte[] typeBytes = type.getBytes(StandardCharsets.US_ASCII);
        CRC32 crc = new CRC32();
        crc.update(typeBytes);
        crc.update(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
        out.writeBytes(typeBytes);
        out.writeBytes(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }

    /**
     * Prefixes every row with the PNG filter that gives the smallest sum of absolute residuals (the usual heuristic;
     * it roughly halves the size of smooth images compared with no filtering).
     */
    private static byte[] filterRows(byte[] rgb, int width, int height) {
        int stride = width * BYTES_PER_PIXEL;
        byte[] filtered = new byte[height * (stride + 1)];
        byte[][] candidates = new byte[5][stride];
        byte[] zeroRow = new byte[stride];
        for (int y = 0; y < height; y++) {
            int rowStart = y * stride;
            int previousStart = y == 0 ? -1 : rowStart - stride;
            int best = 0;
            long bestScore = Long.MAX_VALUE;
            for (int filter = 0; filter < 5; filter++) {
                long score = applyFilter(filter, rgb, rowStart, previousStart == -1 ? zeroRow : rgb,
                        previousStart == -1 ? 0 : previousStart, stride, candidates[filter]);
                if (score < bestScore) {
                    bestScore = score;
                    best = filter;
                }
            }
            int target = y * (stride + 1);
            filtered[target] = (byte) best;
            System.arraycopy(candidates[best], 0, filtered, target + 1, stride);
        }
        return filtered;
    }

    private static long applyFilter(int filter, byte[] rows, int row, byte[] upRows, int up, int stride, byte[] out) {
        long score = 0;
        for (int i = 0; i < stride; i++) {
            int x = rows[row + i] & 0xff;
            int a = i >= BYTES_PER_PIXEL ? rows[row + i - BYTES_PER_PIXEL] & 0xff : 0;
            int b = upRows[up + i] & 0xff;
            int c = i >= BYTES_PER_PIXEL ? upRows[up + i - BYTES_PER_PIXEL] & 0xff : 0;
            int predicted = switch (filter) {
                case 0 -> 0;
                case 1 -> a;
                case 2 -> b;
                case 3 -> (a + b) >>> 1;
                default -> paeth(a, b, c);
            };
            byte residual = (byte) (x - predicted);
            out[i] = residual;
            score += Math.abs((int) residual);
        }
        return score;
    }

    private static int paeth(int a, int b, int c) {
        int p = a + b - c;
        int pa = Math.abs(p - a);
        int pb = Math.abs(p - b);
        int pc = Math.abs(p - c);
        if (pa <= pb && pa <= pc) {
            return a;
        }
        return pb <= pc ? b : c;
    }

    private static byte[] compress(byte[] data) {
        Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION);
        try {
            deflater.setInput(data);
            deflater.finish();
            ByteArrayOutputStream out = new ByteArrayOutputStream(data.length / 2 + 64);
            byte[] buffer = new byte[64 * 1024];
            while (!deflater.finished()) {
                out.write(buffer, 0, deflater.deflate(buffer));
            }
            return out.toByteArray();
        } finally {
            deflater.end();
        }
    }

    // ------------------------------------------------------------------ decoding (tests, tools)

    /** Decodes any PNG that ImageIO reads into 8-bit RGB, plus its tEXt/iTXt chunks (uncompressed ones). */
    public static RgbImage decode(byte[] png) {
        BufferedImage image;
        try {
            image = ImageIO.read(new ByteArrayInputStream(png));
        } catch (IOException e) {
            throw new UncheckedIOException("not a readable PNG", e);
        }
        if (image == null) {
            throw new IllegalArgumentException("not a readable PNG");
        }
        int width = image.getWidth();
        int height = image.getHeight();
        byte[] rgb = new byte[width * height * BYTES_PER_PIXEL];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int argb = image.getRGB(x, y);
                int offset = (y * width + x) * BYTES_PER_PIXEL;
                rgb[offset] = (byte) (argb >>> 16);
                rgb[offset + 1] = (byte) (argb >>> 8);
                rgb[offset + 2] = (byte) argb;
            }
        }
        return new RgbImage(width, height, rgb, readTextChunks(png));
    }

    /** Keyword → text of the tEXt, zTXt and iTXt chunks, read straight from the chunk list. */
    public static Map<String, String> readTextChunks(byte[] png) {
        Map<String, String> text = new LinkedHashMap<>();
        ByteBuffer buffer = ByteBuffer.wrap(png);
        buffer.position(SIGNATURE.length);
        while (buffer.remaining() >= 12) {
            int length = buffer.getInt();
            byte[] type = new byte[4];
            buffer.get(type);
            byte[] data = new byte[length];
            buffer.get(data);
            buffer.getInt(); // CRC, verified by ImageIO when decoding pixels
            String chunkType = new String(type, StandardCharsets.US_ASCII);
            switch (chunkType) {
                case "tEXt" -> putLatin1Text(text, data);
                case "zTXt" -> putCompressedText(text, data);
                case "iTXt" -> putInternationalText(text, data);
                default -> { }
            }
        }
        return text;
    }

    private static void putLatin1Text(Map<String, String> text, byte[] data) {
        int zero = indexOfZero(data, 0);
        text.put(new String(data, 0, zero, StandardCharsets.ISO_8859_1),
                new String(data, zero + 1, data.length - zero - 1, StandardCharsets.ISO_8859_1));
    }

    private static void putCompressedText(Map<String, String> text, byte[] data) {
        int zero = indexOfZero(data, 0);
        byte[] compressed = Arrays.copyOfRange(data, zero + 2, data.length);
        text.put(new String(data, 0, zero, StandardCharsets.ISO_8859_1),
                new String(inflate(compressed), StandardCharsets.ISO_8859_1));
    }

    private static void putInternationalText(Map<String, String> text, byte[] data) {
        int keywordEnd = indexOfZero(data, 0);
        boolean compressed = data[keywordEnd + 1] != 0;
        int languageEnd = indexOfZero(data, keywordEnd + 3);
        int translatedEnd = indexOfZero(data, languageEnd + 1);
        byte[] body = Arrays.copyOfRange(data, translatedEnd + 1, data.length);
        text.put(new String(data, 0, keywordEnd, StandardCharsets.ISO_8859_1),
                new String(compressed ? inflate(body) : body, StandardCharsets.UTF_8));
    }

    private static int indexOfZero(byte[] data, int from) {
        for (int i = from; i < data.length; i++) {
            if (data[i] == 0) {
                return i;
            }
        }
        throw new IllegalArgumentException("malformed PNG text chunk");
    }

    private static byte[] inflate(byte[] compressed) {
        Inflater inflater = new Inflater();
        try {
            inflater.setInput(compressed);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buffer = new byte[8192];
            while (!inflater.finished()) {
                int n = inflater.inflate(buffer);
                if (n == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                    throw new IllegalArgumentException("truncated compressed PNG text chunk");
                }
                out.write(buffer, 0, n);
            }
            return out.toByteArray();
        } catch (DataFormatException e) {
            throw new IllegalArgumentException("corrupt compressed PNG text chunk", e);
        } finally {
            inflater.end();
        }
    }
}
