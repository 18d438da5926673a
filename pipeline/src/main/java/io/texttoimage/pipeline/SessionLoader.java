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
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Creates the pipeline's ONNX Runtime sessions: all at once on their own threads (session creation is mostly
 * single-threaded inside ONNX Runtime, so the three overlap even on two cores), each from the optimised-graph cache
 * when {@link OrtSettings#graphCache()} is set and holds a valid entry, else from the model's graph. A graph missing
 * from the cache is not stored during the load: having ONNX Runtime write it doubles the session's creation time and
 * memory, which a first start on a new node would pay before it is ready. {@link #store} writes it later, with a
 * throw-away session, when the caller has time (the generator: once idle; {@code sd-generate}: after its image).
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

    /** The loaded sessions in the order asked for, how they were made, and the optimised graphs still to store. */
    record Loaded(List<OnnxComponent> components, String executionProvider, LoadReport report,
                  List<GraphToStore> toStore) {
    }

    /** A component whose optimised graph the cache lacked: {@link #store} writes it. */
    record GraphToStore(Part part, OrtGraphCacheKey key) {
    }

    private final OrtEnvironment env;
    private final OrtSettings settings;
    private final OrtGraphCache cache;

    SessionLoader(OrtEnvironment env, OrtSettings settings) {
        this.env = env;
        this.settings = settings;
        this.cache = settings.graphCache() == null ? null : new OrtGraphCache(settings.graphCache());
    }

    private record Result(OnnxComponent component, String provider, LoadReport.ComponentLoad load,
                          GraphToStore toStore) {
        Result(OnnxComponent component, String provider, LoadReport.ComponentLoad load) {
            this(component, provider, load, null);
        }
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
        return new Loaded(results.stream().map(Result::component).toList(), results.getFirst().provider(), report,
                results.stream().map(Result::toStore).filter(Objects::nonNull).toList());
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
            Result built = done(part, start, provider, OnnxComponent.load(env, part.file(), part.fileName(),
                    setup.options()), LoadReport.Source.OPTIMISED_TO_STORE);
            return new Result(built.component(), provider, built.load(), new GraphToStore(part, key));
        } catch (OrtException e) {
            throw new ModelFolderException("Cannot create an ONNX Runtime session for " + part.fileName() + ": "
                    + ModelFolder.firstLine(e.getMessage()), e);
        }
    }

    /**
     * Writes each missing optimised graph into the cache, one component after another, each by creating a
     * throw-away session that saves its optimised graph (ONNX Runtime offers no other way to get it): the same CPU
     * time and about the same memory again as the component's own session, for a few tens of seconds per node type.
     * Never throws: a graph that cannot be stored is logged and left for the next start. Returns the components
     * stored.
     */
    List<String> store(List<GraphToStore> graphs) {
        List<String> stored = new ArrayList<>();
        for (GraphToStore graph : graphs) {
            long start = System.nanoTime();
            boolean done = storeOne(graph);
            LOG.log(Level.INFO, "{0} the optimised {1} graph in {2} ms", done ? "Stored" : "Did not store",
                    graph.part().component(), Duration.ofNanos(System.nanoTime() - start).toMillis());
            if (done) {
                stored.add(graph.part().component());
            }
        }
        return stored;
    }

    private boolean storeOne(GraphToStore graph) {
        if (cache.find(graph.key()).isPresent()) {
            return false; // another process of this node type stored it meanwhile
        }
        Optional<OrtGraphCache.Pending> pending = cache.begin(graph.key());
        if (pending.isEmpty()) {
            return false;
        }
        try (OrtSessionFactory.Setup setup = OrtSessionFactory.create(settings)) {
            setup.options().setOptimizedModelFilePath(pending.get().model().toString());
            setup.options().addConfigEntry("session.optimized_model_external_initializers_file_name",
                    OrtGraphCache.WEIGHTS_FILE);
            setup.options().addConfigEntry("session.optimized_model_external_initializers_min_size_in_bytes",
                    EXTERNAL_MIN_BYTES);
            OnnxComponent.load(env, graph.part().file(), graph.part().fileName(), setup.options()).close();
            return pending.get().commit();
        } catch (OrtException | RuntimeException e) {
            // A full disk, say: the next start optimises this component again and retries.
            LOG.log(Level.WARNING, "Storing the optimised {0} graph failed ({1}); the next start optimises it "
                    + "again", graph.part().component(), e.getMessage());
            pending.get().abandon();
            return false;
        }
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
