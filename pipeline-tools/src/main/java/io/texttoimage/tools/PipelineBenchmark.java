package io.texttoimage.tools;

import io.texttoimage.pipeline.CancellationToken;
import io.texttoimage.pipeline.GenerationRequest;
import io.texttoimage.pipeline.GenerationResult;
import io.texttoimage.pipeline.OrtBaseline;
import io.texttoimage.pipeline.OrtCallStats;
import io.texttoimage.pipeline.OrtSettings;
import io.texttoimage.pipeline.ProgressListener;
import io.texttoimage.pipeline.StableDiffusionPipeline;
import io.texttoimage.pipeline.preview.LatentPreview;
import io.texttoimage.pipeline.preview.StepLatents;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Benchmark of the pipeline on one model folder (run by {@code bin/benchmark-pipeline}; not a test). Measures session
 * creation, end-to-end runs with their time inside and outside ONNX Runtime {@code run} calls, the same ONNX Runtime
 * calls made back to back without the pipeline around them, the cost of one live preview (latent-to-RGB and PNG
 * encoding of the last run's final step latents, compared with one UNet evaluation of that run), optionally one UNet
 * evaluation at a larger size, and peak heap and RSS.
 *
 * <p>Arguments: {@code MODEL_DIR [--size 256] [--steps 4] [--scheduler NAME] [--guidance 7.5] [--runs 2]
 * [--unet-step-size 512] [--threads 0] [--preview-runs 200]}.
 */
public final class PipelineBenchmark {

    private PipelineBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0 || args[0].startsWith("--")) {
            System.err.println("usage: benchmark-pipeline MODEL_DIR [--size 256] [--steps 4] [--scheduler NAME] "
                    + "[--guidance 7.5] [--runs 2] [--unet-step-size 512|0] [--threads 0] [--optimization all] "
                    + "[--graph-cache DIR|off] [--preview-runs 200|0]");
            System.exit(2);
        }
        Path model = Path.of(args[0]);
        int size = intOption(args, "--size", 256);
        int steps = intOption(args, "--steps", 4);
        int runs = intOption(args, "--runs", 2);
        int unetStepSize = intOption(args, "--unet-step-size", 512);
        int threads = intOption(args, "--threads", 0);
        double guidance = Double.parseDouble(option(args, "--guidance", "7.5"));
        String scheduler = option(args, "--scheduler", null);
        String optimization = option(args, "--optimization", "all");
        String graphCache = option(args, "--graph-cache", "off");
        int previewRuns = intOption(args, "--preview-runs", 200);

        print("machine: %d CPUs visible to the JVM, load average at start %s", Runtime.getRuntime().availableProcessors(),
                loadAverage());
        print("java %s, ONNX Runtime %s", System.getProperty("java.version"),
                OrtBaseline.onnxRuntimeVersion());
        long loadStart = System.nanoTime();
        try (StableDiffusionPipeline pipeline = StableDiffusionPipeline.load(model,
                OrtSettings.cpu().withThreads(threads, 0).withOptimizationLevel(optimization)
                        .withGraphCache(graphCache.equals("off") ? null : Path.of(graphCache)))) {
            print("model %s: session creation %.2f s (load incl. tokenizer %.2f s), provider %s, level %s; %s",
                    pipeline.info().name(), seconds(pipeline.sessionCreationTime()),
                    (System.nanoTime() - loadStart) / 1e9, pipeline.info().executionProvider(), optimization,
                    pipeline.loadReport().summary());
            if (pipeline.hasOptimisedGraphsToStore()) {
                long storeStart = System.nanoTime();
                List<String> stored = pipeline.storeOptimisedGraphs();
                print("stored the optimised graphs of %s in %s in %.2f s (for the next run; not part of the figures)",
                        stored, graphCache, (System.nanoTime() - storeStart) / 1e9);
            }

            GenerationRequest request = new GenerationRequest("a photograph of an astronaut riding a horse", null, size,
                    size, steps, guidance, scheduler, 42, 1, null);
            List<OrtCallStats> measured = new ArrayList<>();
            StepLatents[] lastLatents = new StepLatents[1];
            ProgressListener keepLatents = new ProgressListener() {
                @Override
                public void onStep(int step, int totalSteps, Duration elapsed) {
                }

                @Override
                public void onLatents(int step, int totalSteps, StepLatents latents) {
                    lastLatents[0] = latents; // the pipeline's own arrays: a fresh one every step, not reused
                }
            };
            for (int run = 0; run <= runs; run++) {
                GenerationResult result = pipeline.generate(request, keepLatents, CancellationToken.NEVER);
                OrtCallStats stats = pipeline.lastCallStats();
                String label = run == 0 ? "warm-up run" : "run " + run;
                print("%s: %dx%d, %s, %d UNet evaluations (batch %d): end-to-end %.3f s, per UNet evaluation %.3f s "
                                + "(wall / evaluations %.3f s), text encoder %.3f s, VAE %.3f s, outside ONNX Runtime "
                                + "%.1f ms = %.2f %% (PNG encoding %.1f ms)",
                        label, size, size, result.scheduler(), stats.unetCalls(), guidance > 1 ? 2 : 1,
                        seconds(stats.wall()), seconds(stats.unet()) / stats.unetCalls(),
                        seconds(stats.wall()) / stats.unetCalls(), seconds(stats.textEncoder()),
                        seconds(stats.vaeDecoder()), stats.outsideOrt().toNanos() / 1e6, 100 * stats.outsideOrtShare(),
                        stats.pngEncoding().toNanos() / 1e6);
                if (run > 0) {
                    measured.add(stats);
                }
            }
            if (!measured.isEmpty()) {
                OrtCallStats last = measured.get(measured.size() - 1);
                Duration backToBack = OrtBaseline.replay(pipeline, request, last.unetCalls());
                print("same ONNX Runtime calls back to back (%d text encoder, %d UNet, %d VAE): %.3f s; last run "
                                + "end-to-end %.3f s = %+.2f %% of that",
                        last.textEncoderCalls(), last.unetCalls(), last.vaeDecoderCalls(), seconds(backToBack),
                        seconds(last.wall()), 100.0 * (last.wall().toNanos() - backToBack.toNanos()) / backToBack.toNanos());
            }
            if (previewRuns > 0 && lastLatents[0] != null && !measured.isEmpty()) {
                OrtCallStats last = measured.get(measured.size() - 1);
                printPreviewCost(lastLatents[0], previewRuns, seconds(last.unet()) / last.unetCalls(), size,
                        guidance > 1 ? 2 : 1);
            }
            if (unetStepSize > 0) {
                // The first call at a new shape also plans and allocates; the second is the steady-state cost.
                List<Duration> unetCalls = OrtBaseline.unetEvaluations(pipeline, unetStepSize, guidance > 1 ? 2 : 1, 2);
                print("one UNet evaluation at %dx%d (batch %d): first call at that size %.3f s, second call %.3f s",
                        unetStepSize, unetStepSize, guidance > 1 ? 2 : 1, seconds(unetCalls.get(0)), seconds(unetCalls.get(1)));
            }
        }
        print("peak heap %.0f MiB, peak RSS %s, load average at end %s", peakHeapMiB(), procStatus("VmHWM"),
                loadAverage());
    }

    /**
     * What one live preview costs the worker (generator/PreviewReporter does exactly this per preview): the linear
     * latent-to-RGB map and the PNG encoding, timed over {@code runs} repetitions after as many warm-up ones.
     */
    private static void printPreviewCost(StepLatents latents, int runs, double unetSeconds, int size, int batch) {
        byte[] png = LatentPreview.of(latents, 0).png();
        for (int i = 0; i < runs; i++) {
            png = LatentPreview.of(latents, 0).png();
        }
        long[] nanos = new long[runs];
        long rgbNanos = 0;
        for (int i = 0; i < runs; i++) {
            long start = System.nanoTime();
            LatentPreview preview = LatentPreview.of(latents, 0);
            long mapped = System.nanoTime();
            png = preview.png();
            long end = System.nanoTime();
            rgbNanos += mapped - start;
            nanos[i] = end - start;
        }
        java.util.Arrays.sort(nanos);
        double mean = java.util.Arrays.stream(nanos).average().orElse(0) / 1e6;
        print("one live preview of %dx%d latents (%s, %d runs): mean %.3f ms (latent-to-RGB %.3f ms, PNG %.3f ms), "
                        + "median %.3f ms, max %.3f ms; PNG %,d bytes; = %.4f %% of one UNet evaluation at %dx%d "
                        + "(batch %d, %.3f s)",
                latents.width(), latents.height(), latents.predicted() ? "pred_original_sample" : "current latents",
                runs, mean, rgbNanos / 1e6 / runs, mean - rgbNanos / 1e6 / runs, nanos[runs / 2] / 1e6,
                nanos[runs - 1] / 1e6, png.length, 100 * mean / 1e3 / unetSeconds, size, size, batch, unetSeconds);
    }

    private static double peakHeapMiB() {
        long bytes = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP && pool.getPeakUsage() != null) {
                bytes += pool.getPeakUsage().getUsed();
            }
        }
        return bytes / (1024.0 * 1024.0);
    }

    private static String procStatus(String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(key + ":")) {
                    long kib = Long.parseLong(line.substring(key.length() + 1).trim().split("\\s+")[0]);
                    return String.format(Locale.ROOT, "%.0f MiB", kib / 1024.0);
                }
            }
        } catch (IOException | RuntimeException e) {
            return "unknown (" + e.getMessage() + ")";
        }
        return "unknown";
    }

    private static String loadAverage() {
        try {
            String[] parts = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return parts[0] + " " + parts[1] + " " + parts[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    private static double seconds(Duration duration) {
        return duration.toNanos() / 1e9;
    }

    private static void print(String format, Object... values) {
        System.out.println(String.format(Locale.ROOT, format, values));
    }

    private static String option(String[] args, String name, String fallback) {
        for (int i = 1; i < args.length - 1; i++) {
            if (args[i].equals(name)) {
                return args[i + 1];
            }
        }
        return fallback;
    }

    private static int intOption(String[] args, String name, int fallback) {
        return Integer.parseInt(option(args, name, String.valueOf(fallback)));
    }
}
