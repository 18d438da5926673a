package io.texttoimage.pipeline.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads and writes numpy {@code .npy} files (format versions 1 to 3): little-endian float32, float64, int64 and int32
 * in C order. That covers the reference data and the debugging dumps; anything else is rejected with a message that
 * says what the file holds.
 */
public final class Npy {

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");
    private static final int HEADER_ALIGNMENT = 64;

    private Npy() {
    }

    public static NpyArray read(Path file) {
        try {
            return parse(Files.readAllBytes(file), file.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    public static NpyArray parse(byte[] bytes, String name) {
        ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        for (byte expected : MAGIC) {
            if (!buffer.hasRemaining() || buffer.get() != expected) {
                throw new IllegalArgumentException(name + " is not a .npy file (bad magic)");
            }
        }
        int major = Byte.toUnsignedInt(buffer.get());
        buffer.get(); // minor version
        int headerLength = switch (major) {
            case 1 -> Short.toUnsignedInt(buffer.getShort());
            case 2, 3 -> buffer.getInt();
            default -> throw new IllegalArgumentException(name + ": unsupported .npy format version " + major);
        };
        byte[] headerBytes = new byte[headerLength];
        buffer.get(headerBytes);
        String header = new String(headerBytes, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        String dtype = required(DESCR, header, "descr", name);
        if ("True".equals(required(FORTRAN, header, "fortran_order", name))) {
            throw new IllegalArgumentException(name + ": Fortran-order arrays are not supported");
        }
        long[] shape = parseShape(required(SHAPE, header, "shape", name));
        int count = Math.toIntExact(product(shape));
        return readValues(buffer.slice().order(ByteOrder.LITTLE_ENDIAN), dtype, shape, count, name);
    }

    private static NpyArray readValues(ByteBuffer data, String dtype, long[] shape, int count, String name) {
        int width = switch (dtype) {
            case "<f4", "<i4" -> 4;
            case "<f8", "<i8" -> 8;
            default -> throw new IllegalArgumentException(name + ": unsupported dtype '" + dtype
                    + "' (supported: little-endian float32 <f4, float64 <f8, int64 <i8, int32 <i4)");
        };
        if ((long) data.remaining() < (long) count * width) {
            throw new IllegalArgumentException(name + ": truncated data, expected " + (long) count * width
                    + " bytes for shape " + Arrays.toString(shape) + ", found " + data.remaining());
        }
        switch (dtype) {
            case "<f4" -> {
                double[] values = new double[count];
                for (int i = 0; i < count; i++) {
                    values[i] = data.getFloat();
                }
                return new NpyArray(shape, dtype, values, null);
            }
            case "<f8" -> {
                double[] values = new double[count];
                data.asDoubleBuffer().get(values);
                return new NpyArray(shape, dtype, values, null);
            }
            case "<i4" -> {
                long[] values = new long[count];
                for (int i = 0; i < count; i++) {
                    values[i] = data.getInt();
                }
                return new NpyArray(shape, dtype, null, values);
            }
            default -> {
                long[] values = new long[count];
                data.asLongBuffer().get(values);
                return new NpyArray(shape, dtype, null, values);
            }
        }
    }

    private static String required(Pattern pattern, String header, String key, String name) {
        Matcher matcher = pattern.matcher(header);
        if (!matcher.find()) {
            throw new IllegalArgumentException(name + ": header has no '" + key + "': " + header.strip());
        }
        return matcher.group(1);
    }

    private static long[] parseShape(String text) {
        List<Long> dims = new ArrayList<>();
        for (String part : text.split(",")) {
            if (!part.isBlank()) {
                dims.add(Long.parseLong(part.strip().replace("L", "")));
            }
        }
        return dims.stream().mapToLong(Long::longValue).toArray();
    }

    private static long product(long[] shape) {
        long count = 1;
        for (long dim : shape) {
            count = Math.multiplyExact(count, dim);
        }
        return count;
    }

    /** Writes a float32 array in C order (format version 1, or 2 if the header needs it). */
    public static void writeFloats(Path file, float[] data, long... shape) {
        requireSize(data.length, shape);
        ByteBuffer body = ByteBuffer.allocate(data.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        body.asFloatBuffer().put(data);
        write(file, "<f4", shape, body.array());
    }

    /** Writes an int64 array in C order. */
    public static void writeLongs(Path file, long[] data, long... shape) {
        requireSize(data.length, shape);
        ByteBuffer body = ByteBuffer.allocate(data.length * Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        body.asLongBuffer().put(data);
        write(file, "<i8", shape, body.array());
    }

    private static void requireSize(int length, long[] shape) {
        if (product(shape) != length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " needs "
                    + product(shape) + " values, got " + length);
        }
    }

    private static void write(Path file, String dtype, long[] shape, byte[] body) {
        byte[] header = header(dtype, shape);
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            byte[] all = new byte[header.length + body.length];
            System.arraycopy(header, 0, all, 0, header.length);
            System.arraycopy(body, 0, all, header.length, body.length);
            Files.write(file, all);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    private static byte[] header(String dtype, long[] shape) {
        StringBuilder dims = new StringBuilder();
        for (long dim : shape) {
            dims.append(dim).append(", ");
        }
        String shapeText = shape.length == 1 ? "(" + shape[0] + ",)"
                : "(" + (shape.length == 0 ? "" : dims.substring(0, dims.length() - 2)) + ")";
        String dict = "{'descr': '" + dtype + "', 'fortran_order': False, 'shape': " + shapeText + ", }";
        // Version 1 stores the header length in 16 bits; very long shapes need version 2.
        boolean version1 = dict.length() + 1 + HEADER_ALIGNMENT <= 0xffff;
        int prefix = MAGIC.length + 2 + (version1 ? 2 : 4);
        int padded = ((prefix + dict.length() + 1 + HEADER_ALIGNMENT - 1) / HEADER_ALIGNMENT) * HEADER_ALIGNMENT;
        int headerLength = padded - prefix;
        String text = dict + " ".repeat(headerLength - dict.length() - 1) + "\n";
        ByteBuffer out = ByteBuffer.allocate(padded).order(ByteOrder.LITTLE_ENDIAN);
        out.put(MAGIC).put((byte) (version1 ? 1 : 2)).put((byte) 0);
        if (version1) {
            out.putShort((short) headerLength);
        } else {
            out.putInt(headerLength);
        }
        out.put(text.getBytes(StandardCharsets.ISO_8859_1));
        return out.array();
    }
}
