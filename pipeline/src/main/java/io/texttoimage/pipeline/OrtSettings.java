package io.texttoimage.pipeline;

import java.nio.file.Path;
import java.util.Locale;

/**
 * How the ONNX Runtime sessions are created.
 *
 * @param useCuda            try the CUDA execution provider first (falls back to CPU with a log line saying why)
 * @param deviceId           CUDA device ordinal
 * @param optimizationLevel  {@code disable}, {@code basic}, {@code extended} or {@code all}
 * @param intraOpThreads     threads inside one operator, 0 = ONNX Runtime's default (one per physical core)
 * @param interOpThreads     threads across independent operators, 0 = ONNX Runtime's default
 * @param graphCache         folder of the optimised-graph cache ({@link io.texttoimage.pipeline.onnx.OrtGraphCache}),
 *                           null = optimise at every start
 * @param parallelLoad       create the three sessions at the same time
 */
public record OrtSettings(boolean useCuda, int deviceId, String optimizationLevel, int intraOpThreads, int interOpThreads,
                          Path graphCache, boolean parallelLoad) {

    /** Without a graph cache, sessions created in parallel. */
    public OrtSettings(boolean useCuda, int deviceId, String optimizationLevel, int intraOpThreads, int interOpThreads) {
        this(useCuda, deviceId, optimizationLevel, intraOpThreads, interOpThreads, null, true);
    }

    public OrtSettings {
        optimizationLevel = optimizationLevel == null ? "all" : optimizationLevel.trim().toLowerCase(Locale.ROOT);
        if (!java.util.List.of("disable", "basic", "extended", "all").contains(optimizationLevel)) {
            throw new IllegalArgumentException("Unknown graph optimisation level '" + optimizationLevel
                    + "'; use one of disable, basic, extended, all.");
        }
        if (deviceId < 0 || intraOpThreads < 0 || interOpThreads < 0) {
            throw new IllegalArgumentException("Device id and thread counts must not be negative.");
        }
    }

    /** CPU only, all graph optimisations, ONNX Runtime's default thread pools. */
    public static OrtSettings cpu() {
        return new OrtSettings(false, 0, "all", 0, 0);
    }

    /** CUDA device 0 when available, otherwise CPU. */
    public static OrtSettings cudaIfAvailable() {
        return new OrtSettings(true, 0, "all", 0, 0);
    }

    public OrtSettings withThreads(int intraOp, int interOp) {
        return new OrtSettings(useCuda, deviceId, optimizationLevel, intraOp, interOp, graphCache, parallelLoad);
    }

    public OrtSettings withOptimizationLevel(String level) {
        return new OrtSettings(useCuda, deviceId, level, intraOpThreads, interOpThreads, graphCache, parallelLoad);
    }

    /** {@code folder} null turns the optimised-graph cache off. */
    public OrtSettings withGraphCache(Path folder) {
        return new OrtSettings(useCuda, deviceId, optimizationLevel, intraOpThreads, interOpThreads, folder, parallelLoad);
    }

    public OrtSettings withParallelLoad(boolean parallel) {
        return new OrtSettings(useCuda, deviceId, optimizationLevel, intraOpThreads, interOpThreads, graphCache, parallel);
    }
}
