package io.texttoimage.pipeline.onnx;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.TreeSet;

/**
 * The instruction-set features of this machine's CPU, as Linux lists them in {@code /proc/cpuinfo}. ONNX Runtime picks
 * its CPU kernels (AVX2, AVX-512, AMX, ...) and the matching weight layouts by these features, so a graph optimised at
 * level ALL on one machine is only valid on machines with the same ones.
 */
public record CpuFeatures(String architecture, String flags) {

    public static final Path PROC_CPUINFO = Path.of("/proc/cpuinfo");

    /** This machine's features; without a readable cpuinfo the flags say so and every key stays machine-bound. */
    public static CpuFeatures ofThisMachine() {
        return read(PROC_CPUINFO, System.getProperty("os.arch"));
    }

    public static CpuFeatures read(Path cpuinfo, String architecture) {
        try {
            return new CpuFeatures(architecture, parseFlags(Files.readString(cpuinfo)));
        } catch (IOException | RuntimeException e) {
            return new CpuFeatures(architecture, "unknown");
        }
    }

    /** The sorted union of the first "flags" (x86) or "Features" (arm) line; order and repeats do not matter. */
    public static String parseFlags(String cpuinfo) {
        for (String line : cpuinfo.split("\n")) {
            int colon = line.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String name = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            if (name.equals("flags") || name.equals("features")) {
                return String.join(" ", new TreeSet<>(Arrays.asList(line.substring(colon + 1).trim().split("\\s+"))));
            }
        }
        return "unknown";
    }
}
