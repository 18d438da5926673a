package io.texttoimage.pipeline;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OrtEnvironment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The boundary between Java floats and the model's element types: float16 models get half floats in and out, integer
 * timesteps are truncated like {@code np.array([t], dtype=np.int64)}. Runs a real (hand-written, one-node) float16
 * ONNX graph in ONNX Runtime.
 */
class BoundTensorTest {

    @TempDir
    Path temp;

    @Test
    void float16GraphRunsWithFloatsConvertedAtTheBoundary() throws Exception {
        Path model = temp.resolve("double-fp16.onnx");
        Files.write(model, doublingFloat16Model());
        OrtEnvironment env = OrtSessionFactory.environment();
        try (OrtSessionFactory.Setup setup = OrtSessionFactory.create(OrtSettings.cpu());
             OnnxComponent graph = OnnxComponent.load(env, model, "double-fp16.onnx", setup.options())) {
            assertEquals(OnnxJavaType.FLOAT16, graph.inputs().get("X").type());
            float[] input = {0.1f, -2.5f, 1000.3f, 3.14159f, 0f};
            try (BoundTensor x = BoundTensor.allocate(env, OnnxJavaType.FLOAT16, input.length);
                 BoundTensor y = BoundTensor.allocate(env, OnnxJavaType.FLOAT16, input.length)) {
                x.putFloats(input);
                graph.run(Map.of("X", x.tensor()), Map.of("Y", y.tensor()), null);
                float[] output = new float[input.length];
                y.getFloats(output);
                float[] expected = new float[input.length];
                for (int i = 0; i < input.length; i++) {
                    // the input is rounded to half precision once; doubling a half is exact
                    expected[i] = 2 * Float.float16ToFloat(Float.floatToFloat16(input[i]));
                }
                assertArrayEquals(expected, output);
                assertEquals(1, graph.runCount());
            }
        }
    }

    @Test
    void integerTimestepsTruncateLikeNumpy() throws Exception {
        OrtEnvironment env = OrtSessionFactory.environment();
        try (BoundTensor t = BoundTensor.allocate(env, OnnxJavaType.INT64, 1);
             BoundTensor scalar = BoundTensor.allocate(env, OnnxJavaType.FLOAT)) {
            t.fill(946.42f);
            assertEquals(946L, t.tensor().getLongBuffer().get(0));
            t.fill(0.9999f);
            assertEquals(0L, t.tensor().getLongBuffer().get(0));
            scalar.fill(946.42f);
            assertEquals(0, scalar.tensor().getInfo().getShape().length, "rank-0 timestep");
            assertEquals(946.42f, scalar.tensor().getFloatBuffer().get(0));
        }
    }

    /** ModelProto for {@code Y = X + X}, X and Y float16 of dynamic length, opset 14, written field by field. */
    static byte[] doublingFloat16Model() {
        byte[] tensorType = concat(varintField(1, 10), messageField(2, messageField(1, stringField(2, "n"))));
        byte[] type = messageField(1, tensorType);
        byte[] input = concat(stringField(1, "X"), messageField(2, type));
        byte[] output = concat(stringField(1, "Y"), messageField(2, type));
        byte[] node = concat(stringField(1, "X"), stringField(1, "X"), stringField(2, "Y"), stringField(4, "Add"));
        byte[] graph = concat(messageField(1, node), stringField(2, "double"), messageField(11, input),
                messageField(12, output));
        byte[] opset = concat(stringField(1, ""), varintField(2, 14));
        return concat(varintField(1, 8), messageField(7, graph), messageField(8, opset));
    }

    private static byte[] varintField(int field, long value) {
        return concat(varint((long) field << 3), varint(value));
    }

    private static byte[] stringField(int field, String value) {
        return messageField(field, value.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] messageField(int field, byte[] body) {
        return concat(varint(((long) field << 3) | 2), varint(body.length), body);
    }

    private static byte[] varint(long value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while ((value & ~0x7FL) != 0) {
            out.write((int) ((value & 0x7F) | 0x80));
            value >>>= 7;
        }
        out.write((int) value);
        return out.toByteArray();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }
}
