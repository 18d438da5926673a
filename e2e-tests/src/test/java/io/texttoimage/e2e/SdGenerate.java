package io.texttoimage.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The reference for a served image: the same parameters and seed through the standalone command line
 * ({@code bin/sd-generate}) on the tiny model, one PNG per image. Pixel-equal output is what the e2e tests and the
 * chaos suite demand of the services ({@link Pngs#assertSamePixels}).
 */
public final class SdGenerate {
    private SdGenerate() {
    }

    /**
     * @param request a submission body with prompt, num_steps, guidance_scale, width, height, scheduler, seed and
     *                optionally num_images
     * @param workDir where the PNGs and the log are written
     */
    public static List<byte[]> pngs(Path repoRoot, Map<String, Object> request, Path workDir)
            throws IOException, InterruptedException {
        Files.createDirectories(workDir);
        Path output = Files.createTempFile(workDir, "sd-generate-", ".png").toAbsolutePath();
        int images = ((Number) request.getOrDefault("num_images", 1)).intValue();
        List<String> command = List.of(repoRoot.resolve("bin/sd-generate").toString(),
                "--model", repoRoot.resolve("testdata/sd-reference/model").toString(),
                "--prompt", request.get("prompt").toString(),
                "--steps", request.get("num_steps").toString(),
                "--guidance", request.get("guidance_scale").toString(),
                "--width", request.get("width").toString(),
                "--height", request.get("height").toString(),
                "--scheduler", request.get("scheduler").toString(),
                "--seed", request.get("seed").toString(),
                "--num-images", String.valueOf(images),
                "--output", output.toString(), "--quiet");
        Path log = output.resolveSibling(output.getFileName() + ".log");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!process.waitFor(5, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new IOException("bin/sd-generate took more than 5 minutes");
        }
        if (process.exitValue() != 0) {
            throw new IOException("bin/sd-generate failed: " + Files.readString(log));
        }
        List<byte[]> pngs = new ArrayList<>();
        for (int index = 0; index < images; index++) {
            // FILE.png, then FILE-1.png, FILE-2.png, ...
            Path png = index == 0 ? output : output.resolveSibling(output.getFileName().toString().replace(".png", "-" + index + ".png"));
            if (!Files.isRegularFile(png) || Files.size(png) == 0) {
                throw new IOException("bin/sd-generate wrote no " + png);
            }
            pngs.add(Files.readAllBytes(png));
        }
        return pngs;
    }
}
