package io.texttoimage.pipeline.random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.texttoimage.pipeline.io.Npy;
import io.texttoimage.pipeline.io.NpyArray;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class TorchGeneratorTest {

    private static final Path TORCH_RANDN = Path.of("../testdata/torch-randn");
    private static final Path SEEDED = Path.of("../testdata/sd-reference/cases-seeded");
    private static final ObjectMapper JSON = new ObjectMapper();

    static Stream<Arguments> torchRandnCases() throws IOException {
        List<Arguments> cases = new ArrayList<>();
        for (JsonNode node : JSON.readTree(TORCH_RANDN.resolve("cases.json").toFile()).get("cases")) {
            cases.add(Arguments.of(node.get("file").asText(), node.get("seed").asLong(), shape(node.get("shape"))));
        }
        return cases.stream();
    }

    @Test
    void referenceHasTwelveCases() throws IOException {
        assertEquals(12, torchRandnCases().count());
    }

    @ParameterizedTest(name = "{0}: seed {1}, shape {2}")
    @MethodSource("torchRandnCases")
    void matchesTorchRandnBitForBit(String file, long seed, long[] shape) {
        NpyArray expected = Npy.read(TORCH_RANDN.resolve(file));
        assertArrayEquals(expected.shape(), shape);
        assertBitExact(expected.floats(), new TorchGenerator(seed).randn(shape), file);
    }

    static Stream<Arguments> seededPipelineCases() throws IOException {
        List<Arguments> cases = new ArrayList<>();
        for (JsonNode node : JSON.readTree(SEEDED.resolve("cases.json").toFile()).get("cases")) {
            long[] shape = {node.get("num_images").asLong(), 4, node.get("height").asLong() / 8,
                    node.get("width").asLong() / 8};
            cases.add(Arguments.of(node.get("id").asText(), node.get("seed").asLong(), shape));
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}: seed {1}")
    @MethodSource("seededPipelineCases")
    void reproducesDiffusersInitialLatentsFromTheSeed(String id, long seed, long[] shape) {
        NpyArray expected = Npy.read(SEEDED.resolve(id).resolve("latents_init.npy"));
        assertArrayEquals(expected.shape(), shape);
        assertBitExact(expected.floats(), new TorchGenerator(seed).randn(shape), id);
    }

    @Test
    void wellKnownValuesOfSeedZero() {
        float[] small = new TorchGenerator(0).randn(10);
        assertArrayEquals(new float[] {1.5410f, -0.2934f, -2.1788f}, Arrays.copyOf(small, 3), 5e-5f);
        float[] large = new TorchGenerator(0).randn(20);
        assertArrayEquals(new float[] {-1.1258f, -1.1524f, -0.2506f}, Arrays.copyOf(large, 3), 5e-5f);
    }

    @Test
    void successiveBlockDrawsContinueOneStream() {
        // Each >= 16 draw consumes exactly its element count of uniforms when it is a multiple of 16.
        TorchGenerator stepwise = new TorchGenerator(42);
        float[] first = stepwise.randn(1, 4, 2, 2);
        float[] second = stepwise.randn(1, 4, 2, 2);
        float[] together = new TorchGenerator(42).randn(2, 4, 2, 2);
        assertBitExact(together, concat(first, second), "two draws of 16 vs one of 32");
    }

    @Test
    void scalarDrawsShareTheCachedSecondValueAcrossCalls() {
        float[] pairAtOnce = new TorchGenerator(3).randn(2);
        TorchGenerator oneByOne = new TorchGenerator(3);
        float[] first = oneByOne.randn(1);
        float[] second = oneByOne.randn(1);
        assertBitExact(pairAtOnce, concat(first, second), "randn(2) vs randn(1) twice");
        float[] ten = new TorchGenerator(3).randn(10);
        assertBitExact(Arrays.copyOf(ten, 2), pairAtOnce, "prefix of randn(10)");
    }

    @Test
    void seedsEqualModulo2To32GiveTheSameStream() {
        assertBitExact(new TorchGenerator(5).randn(64), new TorchGenerator(4294967301L).randn(64), "seed 5 vs 2^32+5");
    }

    @Test
    void rejectsNegativeDimensions() {
        assertThrows(IllegalArgumentException.class, () -> new TorchGenerator(1).randn(2, -1));
    }

    private static void assertBitExact(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        int mismatches = 0;
        int first = -1;
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])) {
                mismatches++;
                first = first < 0 ? i : first;
            }
        }
        if (mismatches > 0) {
            int index = first;
            throw new AssertionError(what + ": " + mismatches + " of " + expected.length
                    + " values differ; first at index " + index + ": expected " + expected[index] + ", got "
                    + actual[index]);
        }
    }

    private static float[] concat(float[] a, float[] b) {
        float[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static long[] shape(JsonNode node) {
        long[] shape = new long[node.size()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = node.get(i).asLong();
        }
        return shape;
    }
}
