package io.texttoimage.deploy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Renders a kustomization with the real kustomize: a standalone {@code kustomize} binary if one is on the PATH,
 * otherwise {@code kubectl kustomize} (kubectl embeds kustomize; the CI machines have kubectl 1.32 with kustomize
 * v5.5). {@code KUSTOMIZE_COMMAND} overrides the choice, e.g. {@code "kustomize build"}.
 */
final class Kustomize {
    private Kustomize() {
    }

    static String render(Path kustomizationDir) {
        List<String> command = new ArrayList<>(command());
        command.add(kustomizationDir.toString());
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(false).start();
            process.getOutputStream().close();
            // Read both streams fully before waiting: a large render would otherwise block on a full pipe.
            var stdout = process.getInputStream().readAllBytes();
            var stderr = process.getErrorStream().readAllBytes();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError(command + " did not finish within 60 s");
            }
            if (process.exitValue() != 0) {
                throw new AssertionError(command + " failed with exit code " + process.exitValue() + ":\n"
                        + new String(stderr, StandardCharsets.UTF_8));
            }
            return new String(stdout, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new AssertionError("could not run " + command + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while running " + command, e);
        }
    }

    static List<String> command() {
        String override = System.getenv("KUSTOMIZE_COMMAND");
        if (override != null && !override.isBlank()) {
            return List.of(override.trim().split("\\s+"));
        }
        if (onPath("kustomize")) {
            return List.of("kustomize", "build");
        }
        if (onPath("kubectl")) {
            return List.of("kubectl", "kustomize");
        }
        throw new AssertionError("Neither kustomize nor kubectl is on the PATH: the manifests cannot be rendered. "
                + "Install kubectl >= 1.27 (it embeds kustomize v5) or kustomize v5, or set KUSTOMIZE_COMMAND.");
    }

    private static boolean onPath(String program) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String dir : path.split(java.io.File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) {
                return true;
            }
        }
        return false;
    }
}
