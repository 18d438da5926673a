package io.texttoimage.pipeline;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import io.texttoimage.pipeline.onnx.CpuFeatures;
import io.texttoimage.pipeline.onnx.OrtGraphCache;
import io.texttoimage.pipeline.onnx.OrtGraphCacheKey;

import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Creates the pipeline's ONNX Runtime sessions: all at once on their own threads (session creation is mostly
 * single-threaded inside ONNX Runtime, so the three overlap even on two cores), each from the optimised-graph cache
 * when {@link OrtSettings#graphCache()} is set and holds a valid entry, else from the model's graph (storing the
 * optimised result for the next start).
 */
final class SessionLoader {

    private static final System.Logger LOG = System.getLogger(SessionLoader.class.getName());
    /** Initializers this large go to the entry's weights file; smaller ones stay in its graph. */
    private static final String EXTERNAL_MIN_BYTES = "1024";

    /** One component to load: its name (the model folder's sub-folder) and graph file. */
    record Part(String component, Path file) {
        String fileName() {
            return component + "/model.onnx";
        }
    }

    /** The loaded sessions in the order asked for, and how they were made. */
    record Loaded(List<OnnxComponent> components, String executionProvider, LoadReport report) {
    }

    private final OrtEnvironment env;
    private final OrtSettings settings;
    private final OrtGraphCache cache;

    SessionLoader(OrtEnvironment env, OrtSettings settings) {
        this.env = env;
        this.settings = settings;
        this.cache = settings.graphCache() == null ? null : new OrtGraphCache(settings.graphCache());
    }

    private record Result(OnnxComponent component, String provider, LoadReport.ComponentLoad load) {
    }

    Loaded load(List<Part> parts) {
        long start = System.nanoTime();
        List<Result> results = new ArrayList<>();
        RuntimeException failure = null;
        if (settings.parallelLoad() && parts.size() > 1) {
            try (ExecutorService threads = Executors.newFixedThreadPool(parts.size(),
                    Thread.ofPlatform().name("t2i-session-", 0).daemon().factory())) {
                List<Future<Result>> futures = parts.stream().map(p -> threads.submit(() -> loadOne(p))).toList();
                for (Future<Result> future : futures) {
                    try {
                        results.add(future.get());
                    } catch (ExecutionException e) {
                        failure = failure != null ? failure : asRuntime(e.getCause());
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        failure = failure != null ? failure : new IllegalStateException("Interrupted while loading", e);
                    }
                }
            }
        } else {
            for (Part part : parts) {
                try {
                    results.add(loadOne(part));
                } catch (RuntimeException e) {
                    failure = e;
                    break;
                }
            }
        }
        if (failure != null) {
            results.forEach(r -> r.component().close());
            throw failure;
        }
        Duration total = Duration.ofNanos(System.nanoTime() - start);
        LoadReport report = new LoadReport(total, settings.parallelLoad(), results.stream().map(Result::load).toList());
        return new Loaded(results.stream().map(Result::component).toList(), results.getFirst().provider(), report);
    }

    private Result loadOne(Part part) {
        long start = System.nanoTime();
        try (OrtSessionFactory.Setup setup = OrtSessionFactory.create(settings)) {
            String provider = setup.executionProvider();
            if (cache == null || !cacheable(provider)) {
                return done(part, start, provider, OnnxComponent.load(env, part.file(), part.fileName(),
                        setup.options()), LoadReport.Source.OPTIMISED);
            }
            OrtGraphCacheKey key = OrtGraphCacheKey.of(part.component(), part.file(), env.getVersion(), provider,
                    settings.optimizationLevel(), CpuFeatures.ofThisMachine());
            Optional<Path> stored = cache.find(key);
            if (stored.isPresent()) {
                // Already optimised: running the optimisers again would only repeat their work.
                try (OrtSessionFactory.Setup plain = OrtSessionFactory.create(settings.withOptimizationLevel("disable"))) {
                    return done(part, start, provider, OnnxComponent.load(env, stored.get(), part.fileName()
                            + " (optimised, from " + cache.root() + ")", plain.options()), LoadReport.Source.CACHE);
                } catch (ModelFolderException e) {
                    cache.discard(key, e.getMessage());
                }
            }
            Optional<OrtGraphCache.Pending> pending = cache.begin(key);
            if (pending.isEmpty()) {
                return done(part, start, provider, OnnxComponent.load(env, part.file(), part.fileName(),
                        setup.options()), LoadReport.Source.OPTIMISED);
            }
            return buildAndStore(part, start, provider, setup, pending.get());
        } catch (OrtException e) {
            throw new ModelFolderException("Cannot create an ONNX Runtime session for " + part.fileName() + ": "
                    + ModelFolder.firstLine(e.getMessage()), e);
        }
    }

    private Result buildAndStore(Part part, long start, String provider, OrtSessionFactory.Setup setup,
                                 OrtGraphCache.Pending pending) throws OrtException {
        setup.options().setOptimizedModelFilePath(pending.model().toString());
        setup.options().addConfigEntry("session.optimized_model_external_initializers_file_name",
                OrtGraphCache.WEIGHTS_FILE);
        setup.options().addConfigEntry("session.optimized_model_external_initializers_min_size_in_bytes",
                EXTERNAL_MIN_BYTES);
        OnnxComponent component;
        try {
            component = OnnxComponent.load(env, part.file(), part.fileName(), setup.options());
        } catch (ModelFolderException e) {
            pending.abandon();
            // Writing the optimised graph may be what failed (a full disk): try once more without storing it.
            LOG.log(Level.WARNING, "Creating the {0} session while storing its optimised graph failed ({1}); "
                    + "retrying without storing", part.component(), e.getMessage());
            try (OrtSessionFactory.Setup plain = OrtSessionFactory.create(settings)) {
                return done(part, start, provider, OnnxComponent.load(env, part.file(), part.fileName(),
                        plain.options()), LoadReport.Source.OPTIMISED);
            }
        }
        boolean stored = pending.commit();
        return done(part, start, provider, component,
                stored ? LoadReport.Source.OPTIMISED_AND_STORED : LoadReport.Source.OPTIMISED);
    }

    /**
     * The CPU provider only: a graph optimised for CUDA holds nodes placed on the GPU, and whether reusing it is
     * sound and worth it is not measured yet.
     */
    private boolean cacheable(String provider) {
        return "CPU".equals(provider) && !"disable".equals(settings.optimizationLevel());
    }

    private static Result done(Part part, long start, String provider, OnnxComponent component,
                               LoadReport.Source source) {
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        LOG.log(Level.INFO, "Created the {0} session in {1} ms ({2})", part.component(), took.toMillis(), source);
        return new Result(component, provider, new LoadReport.ComponentLoad(part.component(), took, source));
    }

    private static RuntimeException asRuntime(Throwable cause) {
        return cause instanceof RuntimeException r ? r
                : cause instanceof Error error ? new IllegalStateException(error) : new IllegalStateException(cause);
    }
}
