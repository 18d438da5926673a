package io.texttoimage.generator.service;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.texttoimage.hub.DownloadProgress;
import io.texttoimage.hub.HubException;
import io.texttoimage.hub.HubModelResolver;
import io.texttoimage.hub.HubSettings;
import io.texttoimage.pipeline.CancellationToken;
import io.texttoimage.pipeline.GenerationRequest;
import io.texttoimage.pipeline.ModelInfo;
import io.texttoimage.pipeline.OrtSettings;
import io.texttoimage.pipeline.ProgressListener;
import io.texttoimage.pipeline.onnx.OrtGraphCache;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Loads the model once, on its own thread, so that start-up (and the event loop) never waits for a download or
 * ONNX Runtime session creation. Until it is loaded the worker takes no job and readiness says "model loading".
 */
@ApplicationScoped
public class ModelService {
    private static final Logger LOG = Logger.getLogger(ModelService.class);

    public enum State { LOADING, READY, FAILED }

    private final GeneratorConfig config;
    private final WorkerActivity activity;
    private final CompletableFuture<ImageGenerator> loaded = new CompletableFuture<>();
    private volatile State state = State.LOADING;
    private volatile String failure;
    private volatile String failureMessage;
    private volatile String failureReason;

    public ModelService(GeneratorConfig config, WorkerActivity activity) {
        this.config = config;
        this.activity = activity;
    }

    void onStart(@Observes StartupEvent event) {
        Thread.ofPlatform().name("t2i-model-loader").daemon().start(this::load);
    }

    private void load() {
        long started = System.nanoTime();
        try {
            LOG.infof("Resolving model %s (revision %s)", config.model(), config.modelRevision());
            HubSettings hub = HubSettings.fromEnvironment();
            Path folder = new HubModelResolver(hub).resolve(config.model(), config.modelRevision(), downloadLogger());
            long resolved = System.nanoTime();
            ImageGenerator generator = PipelineImageGenerator.load(folder, ortSettings(config.ort(), hub));
            long loadedAt = System.nanoTime();
            if (config.warmUp()) {
                warmUp(generator);
            }
            state = State.READY;
            ModelInfo info = generator.info();
            long ready = System.nanoTime();
            LOG.infof("Model %s ready on %s in %d ms", info.name(), info.executionProvider(), (ready - started) / 1_000_000);
            // One machine-readable line for bin/benchmark-cold-start (docs/cold-start.md).
            LOG.infof("Startup timeline: resolve=%dms %s warm-up=%dms jvm-uptime-at-ready=%dms",
                    (resolved - started) / 1_000_000, generator.loadSummary(), (ready - loadedAt) / 1_000_000,
                    ManagementFactory.getRuntimeMXBean().getUptime());
            loaded.complete(generator);
            storeOptimisedGraphsWhenIdle(generator);
        } catch (Throwable e) {
            failure = e.getClass().getSimpleName() + ": " + e.getMessage();
            failureMessage = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
            failureReason = e instanceof HubException hub ? hub.reason().name() : e.getClass().getSimpleName();
            state = State.FAILED;
            LOG.errorf(e, "Loading model %s failed", config.model());
            loaded.completeExceptionally(e);
        }
    }

    static OrtSettings ortSettings(GeneratorConfig.Ort ort, HubSettings hub) {
        Path cache = !ort.graphCache().enabled() ? null
                : ort.graphCache().dir().orElseGet(() -> OrtGraphCache.defaultFolder(hub.cacheDir()));
        return new OrtSettings(ort.useCuda(), ort.deviceId(), ort.optimizationLevel().toLowerCase(Locale.ROOT),
                ort.intraOpThreads(), ort.interOpThreads(), cache, ort.parallelLoad());
    }

    /**
     * One 1-step generation at the smallest size before reporting ready: the first real job then finds the JIT, the
     * ONNX Runtime allocators and every class on its path already warm instead of paying for them itself.
     */
    private static void warmUp(ImageGenerator generator) {
        long started = System.nanoTime();
        int side = generator.info().sizeMultiple();
        try {
            generator.generate(new GenerationRequest("warm-up", null, side, side, 1, 7.5, null, 0L, 1, null),
                    ProgressListener.NONE, CancellationToken.NEVER);
            LOG.infof("Warm-up generation (%dx%d, 1 step) took %d ms", side, side,
                    (System.nanoTime() - started) / 1_000_000);
        } catch (RuntimeException e) {
            // Not fatal: a model that cannot do the tiny run will say why on the first real job.
            LOG.warnf("Warm-up generation failed: %s", e.getMessage());
        }
    }

    /**
     * A first start on a new node type served from graphs it optimised itself; the next start should not have to.
     * Storing them means creating each session once more (about 20 s of CPU and the UNet's memory again for SD 1.5
     * on 2 cores), so it waits until the worker has been idle for a while, on a thread of its own. A job that
     * arrives meanwhile shares the CPU with it, once per node type.
     */
    private void storeOptimisedGraphsWhenIdle(ImageGenerator generator) {
        if (!generator.hasOptimisedGraphsToStore()) {
            return;
        }
        Duration idle = config.ort().graphCache().storeWhenIdleFor();
        LOG.infof("The optimised graphs are not stored yet; storing them once no job has run for %d s",
                idle.toSeconds());
        Thread.ofPlatform().name("t2i-graph-store").daemon().start(() -> {
            try {
                Thread.sleep(idle);
                while (activity.idleFor().compareTo(idle) < 0) {
                    Thread.sleep(1_000);
                }
            } catch (InterruptedException e) {
                return;
            }
            long started = System.nanoTime();
            List<String> stored = generator.storeOptimisedGraphs();
            LOG.infof("Stored the optimised graphs of %s for the next start in %d ms", stored,
                    (System.nanoTime() - started) / 1_000_000);
        });
    }

    /** Logs download progress at most every 5 seconds per file, so a multi-GB download shows life without noise. */
    private static DownloadProgress downloadLogger() {
        AtomicLong lastLog = new AtomicLong();
        return new DownloadProgress() {
            @Override
            public void onProgress(String file, long done, long total, double rate) {
                long now = System.nanoTime();
                long previous = lastLog.get();
                if (now - previous > 5_000_000_000L && lastLog.compareAndSet(previous, now)) {
                    LOG.infof("Downloading %s: %d/%d MB at %.1f MB/s", file, done >> 20, total >> 20, rate / 1e6);
                }
            }

            @Override
            public void onFileDone(String file, long totalBytes) {
                LOG.infof("Downloaded %s (%d MB)", file, totalBytes >> 20);
            }
        };
    }

    public State state() {
        return state;
    }

    public String failure() {
        return failure;
    }

    /** The failure's own sentence, without the exception class: what a launcher shows to a user. */
    public String failureMessage() {
        return failureMessage;
    }

    /**
     * What kind of failure it was, for programs: a {@link HubException.Reason} name ({@code NETWORK},
     * {@code OFFLINE_NOT_CACHED}, {@code NOT_FOUND}, ...) or the exception's class name.
     */
    public String failureReason() {
        return failureReason;
    }

    /** Completes once, when the model is loaded (or fails to load). */
    public CompletionStage<ImageGenerator> whenLoaded() {
        return loaded.minimalCompletionStage();
    }

    /** The loaded model; only valid once {@link #state()} is READY. */
    public ImageGenerator generator() {
        return loaded.getNow(null);
    }

    /** After the job worker has stopped (lower priority runs first), free the native sessions. */
    void onStop(@Observes @Priority(50) ShutdownEvent event) {
        ImageGenerator generator = loaded.getNow(null);
        if (generator != null) {
            generator.close();
        }
    }
}
