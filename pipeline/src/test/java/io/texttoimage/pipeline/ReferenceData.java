package io.texttoimage.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.texttoimage.pipeline.io.Npy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The repository's copy of the diffusers reference data ({@code testdata/sd-reference}, see its README). */
final class ReferenceData {

    static final Path ROOT = Path.of("../testdata/sd-reference");
    static final Path LAYOUT_FLOAT_TIMESTEP = ROOT.resolve("model");
    static final Path LAYOUT_INT64_EXTERNAL = ROOT.resolve("model-int64-external");

    private ReferenceData() {
    }

    /** One golden run of {@code cases/} or {@code cases-seeded/}. */
    record Case(Path dir, JsonNode json) {
        String id() {
            return json.get("id").asText();
        }

        String scheduler() {
            // the reference names them pndm, euler_a, dpmpp_2m_karras…; ours use dashes
            return json.get("scheduler").get("name").asText().replace('_', '-');
        }

        /** Whether an int64 timestep input changes this case: some of its timesteps are not whole numbers. */
        boolean fractionalTimesteps() {
            for (float t : floats("timesteps")) {
                if (t != Math.floor(t)) {
                    return true;
                }
            }
            return false;
        }

        boolean hasFile(String key) {
            return json.get("files").has(key);
        }

        Path file(String key) {
            return dir.resolve(json.get("files").get(key).asText());
        }

        float[] floats(String key) {
            return Npy.read(file(key)).floats();
        }

        int[] ints(String key) {
            long[] values = Npy.read(file(key)).longs();
            int[] ints = new int[values.length];
            for (int i = 0; i < values.length; i++) {
                ints[i] = Math.toIntExact(values[i]);
            }
            return ints;
        }

        String negativePrompt() {
            JsonNode node = json.get("negative_prompt");
            return node == null || node.isNull() ? null : node.asText();
        }

        int numImages() {
            return json.has("num_images") ? json.get("num_images").asInt() : 1;
        }

        /** The request diffusers ran; {@code latents} null means "from the seed alone". */
        GenerationRequest request(float[] latents) {
            return new GenerationRequest(json.get("prompt").asText(), negativePrompt(), json.get("width").asInt(),
                    json.get("height").asInt(), json.get("num_inference_steps").asInt(),
                    json.get("guidance_scale").asDouble(), scheduler(), json.get("seed").asLong(), numImages(), latents);
        }

        @Override
        public String toString() {
            return id();
        }
    }

    static List<Case> cases(String folder) {
        Path dir = ROOT.resolve(folder);
        try {
            JsonNode root = new ObjectMapper().readTree(dir.resolve("cases.json").toFile());
            List<Case> cases = new ArrayList<>();
            root.get("cases").forEach(node -> cases.add(new Case(dir, node)));
            return cases;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static double maxAbsDiff(float[] expected, float[] actual) {
        if (expected.length != actual.length) {
            throw new AssertionError("length " + actual.length + " instead of " + expected.length);
        }
        double max = 0;
        for (int i = 0; i < expected.length; i++) {
            double diff = Math.abs((double) expected[i] - actual[i]);
            if (Double.isNaN(diff)) {
                return Double.POSITIVE_INFINITY;
            }
            max = Math.max(max, diff);
        }
        return max;
    }

    static double maxAbs(float[] values) {
        double max = 0;
        for (float v : values) {
            max = Math.max(max, Math.abs(v));
        }
        return max;
    }

    /** Largest difference relative to the largest reference magnitude (the README's "rtol relative to max |x|"). */
    static double relativeToMax(float[] expected, float[] actual) {
        return maxAbsDiff(expected, actual) / Math.max(maxAbs(expected), 1e-30);
    }

    static float[] slice(float[] values, int index, int count) {
        float[] part = new float[count];
        System.arraycopy(values, index * count, part, 0, count);
        return part;
    }

    /** [largest difference in uint8 levels, share of values that differ]. */
    static double[] uint8Difference(byte[] expected, byte[] actual) {
        if (expected.length != actual.length) {
            throw new AssertionError("length " + actual.length + " instead of " + expected.length);
        }
        int max = 0;
        int differing = 0;
        for (int i = 0; i < expected.length; i++) {
            int diff = Math.abs((expected[i] & 0xFF) - (actual[i] & 0xFF));
            max = Math.max(max, diff);
            if (diff != 0) {
                differing++;
            }
        }
        return new double[] {max, (double) differing / expected.length};
    }
}
