package io.texttoimage.pipeline.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpyTest {

    private static final Path REFERENCE = Path.of("../testdata");

    @Test
    void readsTorchReferenceDraw() {
        NpyArray array = Npy.read(REFERENCE.resolve("torch-randn/randn_00.npy"));
        assertEquals("<f4", array.dtype());
        assertArrayEquals(new long[] {1, 4, 64, 64}, array.shape());
        assertEquals(16384, array.size());
        // torch.manual_seed(0); torch.randn(20)[0] is the well-known -1.1258
        assertEquals(-1.1258f, array.floats()[0], 5e-5f);
    }

    @Test
    void readsInt64TokenIds() {
        NpyArray ids = Npy.read(REFERENCE.resolve("sd-reference/cases/dev01/cond_input_ids.npy"));
        assertEquals("<i8", ids.dtype());
        assertArrayEquals(new long[] {77}, ids.shape());
        assertEquals(49406L, ids.longs()[0]);
    }

    @Test
    void readsFloat32ImageShape() {
        NpyArray image = Npy.read(REFERENCE.resolve("sd-reference/cases/dev03/image.npy"));
        assertArrayEquals(new long[] {64, 128, 3}, image.shape());
        for (float value : image.floats()) {
            assertTrue(value >= 0f && value <= 1f, "image values are in [0, 1], found " + value);
        }
    }

    @Test
    void roundTripsFloats(@TempDir Path dir) {
        float[] data = {0f, -0f, 1.5f, -2.25f, Float.MIN_VALUE, Float.MAX_VALUE, Float.NaN, 3.1415927f, 1e-30f,
                Float.NEGATIVE_INFINITY, 7f, 8f};
        Path file = dir.resolve("sub/values.npy");
        Npy.writeFloats(file, data, 2, 3, 2);
        NpyArray read = Npy.read(file);
        assertEquals("<f4", read.dtype());
        assertArrayEquals(new long[] {2, 3, 2}, read.shape());
        float[] back = read.floats();
        for (int i = 0; i < data.length; i++) {
            assertEquals(Float.floatToRawIntBits(data[i]), Float.floatToRawIntBits(back[i]), "index " + i);
        }
    }

    @Test
    void roundTripsLongsAndScalarsAndVectors(@TempDir Path dir) {
        Npy.writeLongs(dir.resolve("ids.npy"), new long[] {49406, -1, Long.MAX_VALUE}, 3);
        NpyArray ids = Npy.read(dir.resolve("ids.npy"));
        assertArrayEquals(new long[] {3}, ids.shape());
        assertArrayEquals(new long[] {49406, -1, Long.MAX_VALUE}, ids.longs());

        Npy.writeFloats(dir.resolve("scalar.npy"), new float[] {42f});
        NpyArray scalar = Npy.read(dir.resolve("scalar.npy"));
        assertArrayEquals(new long[0], scalar.shape());
        assertEquals(42f, scalar.floats()[0]);
    }

    @Test
    void writesHeadersAlignedTo64Bytes(@TempDir Path dir) throws IOException {
        Npy.writeFloats(dir.resolve("a.npy"), new float[24], 2, 3, 4);
        byte[] bytes = Files.readAllBytes(dir.resolve("a.npy"));
        int headerLength = Short.toUnsignedInt(ByteBuffer.wrap(bytes, 8, 2).order(ByteOrder.LITTLE_ENDIAN).getShort());
        assertEquals(0, (10 + headerLength) % 64);
        assertEquals('\n', bytes[10 + headerLength - 1]);
        assertEquals(10 + headerLength + 24 * 4, bytes.length);
    }

    @Test
    void readsFloat64Int32AndVersion2(@TempDir Path dir) throws IOException {
        Path doubles = dir.resolve("d.npy");
        Files.write(doubles, npy(1, "<f8", "(2,)", le(8 * 2).putDouble(0.1).putDouble(-2.5)));
        assertArrayEquals(new double[] {0.1, -2.5}, Npy.read(doubles).doubles());
        assertEquals(0.1f, Npy.read(doubles).floats()[0]);

        Path ints = dir.resolve("i.npy");
        Files.write(ints, npy(2, "<i4", "(1, 3)", le(12).putInt(7).putInt(-8).putInt(Integer.MAX_VALUE)));
        NpyArray read = Npy.read(ints);
        assertArrayEquals(new long[] {1, 3}, read.shape());
        assertArrayEquals(new long[] {7, -8, Integer.MAX_VALUE}, read.longs());
    }

    @Test
    void rejectsUnsupportedFiles(@TempDir Path dir) throws IOException {
        Path bigEndian = dir.resolve("be.npy");
        Files.write(bigEndian, npy(1, ">f4", "(1,)", ByteBuffer.allocate(4).putFloat(1f)));
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> Npy.read(bigEndian));
        assertTrue(error.getMessage().contains(">f4"), error.getMessage());

        Path fortran = dir.resolve("f.npy");
        Files.write(fortran, npy(1, "<f4", "(1,)", le(4).putFloat(1f)).clone());
        Files.writeString(fortran, Files.readString(fortran, StandardCharsets.ISO_8859_1)
                .replace("'fortran_order': False", "'fortran_order': True "), StandardCharsets.ISO_8859_1);
        assertThrows(IllegalArgumentException.class, () -> Npy.read(fortran));

        Path truncated = dir.resolve("t.npy");
        Files.write(truncated, npy(1, "<f4", "(4,)", le(4).putFloat(1f)));
        assertThrows(IllegalArgumentException.class, () -> Npy.read(truncated));

        Path notNpy = dir.resolve("x.npy");
        Files.writeString(notNpy, "hello");
        assertThrows(IllegalArgumentException.class, () -> Npy.read(notNpy));
    }

    private static ByteBuffer le(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Builds a .npy file by hand, independently of the writer under test. */
    private static byte[] npy(int version, String dtype, String shape, ByteBuffer body) {
        String dict = "{'descr': '" + dtype + "', 'fortran_order': False, 'shape': " + shape + ", }";
        int prefix = version == 1 ? 10 : 12;
        int total = ((prefix + dict.length() + 1 + 63) / 64) * 64;
        String header = dict + " ".repeat(total - prefix - dict.length() - 1) + "\n";
        ByteBuffer out = ByteBuffer.allocate(total + body.capacity()).order(ByteOrder.LITTLE_ENDIAN);
        out.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) version, 0});
        if (version == 1) {
            out.putShort((short) (total - prefix));
        } else {
            out.putInt(total - prefix);
        }
        out.put(header.getBytes(StandardCharsets.ISO_8859_1));
        out.put(body.array());
        return out.array();
    }
}
