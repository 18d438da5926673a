package io.texttoimage.pipeline.onnx;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * What an optimised graph depends on: the graph file's path and bytes, its external weight files (name, size, modification
 * time: hashing gigabytes at every start would cost what the cache saves), the ONNX Runtime version, the execution
 * provider, the optimisation level and the CPU's features. Two keys are equal exactly when a stored graph may be
 * reused; {@link #text()} is stored beside the entry so that a reader can check it, not just its hash.
 */
public record OrtGraphCacheKey(String component, Path source, String modelSha256, List<String> weightFiles, String ortVersion,
                               String executionProvider, String optimizationLevel, CpuFeatures cpu) {

    /** Bumped when the entry layout changes, so old entries become stale instead of misread. */
    static final int FORMAT = 1;

    public OrtGraphCacheKey {
        weightFiles = List.copyOf(weightFiles);
    }

    /**
     * The key of {@code model} (a component's {@code model.onnx}); every other file in its folder counts as its
     * weights (ONNX external data sits beside the graph).
     */
    public static OrtGraphCacheKey of(String component, Path model, String ortVersion, String executionProvider,
                                      String optimizationLevel, CpuFeatures cpu) {
        return new OrtGraphCacheKey(component, model.toAbsolutePath().normalize(), sha256(model), weightFiles(model), ortVersion, executionProvider,
                optimizationLevel, cpu);
    }

    /** The stored form: one {@code name=value} line per part, stable across runs. */
    public String text() {
        StringBuilder text = new StringBuilder();
        text.append("format=").append(FORMAT).append('\n');
        text.append("component=").append(component).append('\n');
        text.append("source=").append(source).append('\n');
        text.append("model.sha256=").append(modelSha256).append('\n');
        for (String file : weightFiles) {
            text.append("weights=").append(file).append('\n');
        }
        text.append("onnxruntime=").append(ortVersion).append('\n');
        text.append("provider=").append(executionProvider).append('\n');
        text.append("level=").append(optimizationLevel).append('\n');
        text.append("cpu.arch=").append(cpu.architecture()).append('\n');
        text.append("cpu.flags=").append(cpu.flags()).append('\n');
        return text.toString();
    }

    /**
     * The entry's folder name: {@link #groupName()} and 16 hex digits of the hash of {@link #text()}.
     */
    public String entryName() {
        return groupName() + "-" + hex(text(), 8);
    }

    /**
     * The component and 8 hex digits of the hash of its source path, provider and CPU: entries of one group are
     * versions of the same graph for the same kind of machine, of which only the newest is worth keeping; other
     * models, and other node types sharing the folder, keep theirs.
     */
    public String groupName() {
        return component + "-" + hex(source + "\n" + executionProvider + "\n" + cpu.architecture() + "\n" + cpu.flags(), 4);
    }

    private static String hex(String text, int bytes) {
        return HexFormat.of().formatHex(sha256(text.getBytes(StandardCharsets.UTF_8)), 0, bytes);
    }

    private static List<String> weightFiles(Path model) {
        Path folder = model.toAbsolutePath().getParent();
        try (Stream<Path> files = Files.list(folder)) {
            List<String> described = new ArrayList<>();
            for (Path file : files.sorted().toList()) {
                if (!file.getFileName().equals(model.getFileName()) && Files.isRegularFile(file)) {
                    described.add(file.getFileName() + " " + Files.size(file) + " "
                            + Files.getLastModifiedTime(file).toMillis());
                }
            }
            return described;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot list the weight files beside " + model, e);
        }
    }

    private static String sha256(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[1 << 16];
            for (int read; (read = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, read);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read " + file, e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
