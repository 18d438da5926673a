package io.texttoimage.generator.service;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.texttoimage.hub.HubModelResolver;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/** The worker's settings; see docs/generator-service.md for the environment variables. */
@ConfigMapping(prefix = "t2i.generator")
public interface GeneratorConfig {

    /** A local model folder or a Hugging Face repo id. */
    @WithDefault(HubModelResolver.DEFAULT_MODEL)
    String model();

    @WithDefault(HubModelResolver.DEFAULT_REVISION)
    String modelRevision();

    Ort ort();

    /** Minimum time between two PROGRESS events of one job; the last step is always sent. */
    @WithDefault("PT0S")
    Duration progressInterval();

    /**
     * How long to wait for the storage adapter's ImageStored notifications of one job. Longer than the adapter's
     * {@code t2i.storage.retry-window} (2 minutes), so that a job whose image S3 does not take ends with the
     * adapter's reason, not with this timeout.
     */
    @WithDefault("PT3M")
    Duration storeTimeout();

    /**
     * How often the worker publishes its heartbeat (who it is, its model and device, its current job); gateways call
     * it lost after three intervals without one.
     */
    @WithDefault("PT5S")
    Duration heartbeatInterval();

    /** Defaults to hostname-pid. */
    Optional<String> workerId();

    /** What a shutdown does with the job in progress. */
    @WithDefault("requeue")
    ShutdownMode onShutdown();

    /** Longest wait for the job in progress when shutting down (stopping between steps is much quicker). */
    @WithDefault("PT2M")
    Duration shutdownGrace();

    CancelledIds cancelledIds();

    Previews previews();

    /** Run one tiny generation after loading, before reporting ready, so the first job does not pay for warm-up. */
    @WithDefault("true")
    boolean warmUp();

    /** Faults for tests; refused outside the dev and test profiles ({@link PoisonSwitch}). */
    TestOnly testOnly();

    interface TestOnly {
        /** A worker that runs a job whose prompt matches this regular expression dies at once. */
        Optional<String> poisonPrompt();
    }

    interface Ort {
        @WithDefault("false")
        boolean useCuda();

        @WithDefault("0")
        int deviceId();

        @WithDefault("ALL")
        String optimizationLevel();

        @WithDefault("0")
        int intraOpThreads();

        @WithDefault("0")
        int interOpThreads();

        /** Create the text encoder, UNet and VAE sessions at the same time. */
        @WithDefault("true")
        boolean parallelLoad();

        GraphCache graphCache();
    }

    /**
     * Where ONNX Runtime's optimised graphs are kept between starts (CPU provider; see docs/cold-start.md). The
     * folder must be local to machines of one CPU type: entries are keyed by CPU features, so a mixed folder only
     * holds one entry per model and machine type that replace each other.
     */
    interface GraphCache {
        @WithDefault("true")
        boolean enabled();

        /** Default: {@code ort-graph-cache} beside the Hugging Face hub cache (on the model-cache volume). */
        Optional<Path> dir();

        /**
         * After a load that found no stored graph (a first start on this node type), the optimised graphs are stored
         * once the worker has run no job for this long: storing costs tens of seconds of CPU, which a waiting job
         * should not share.
         */
        @WithDefault("PT10S")
        Duration storeWhenIdleFor();
    }

    /** Live previews of the jobs that ask for them (see docs/generator-service.md, "Live previews"). */
    interface Previews {
        /** Off: this worker sends none and its heartbeat says so. */
        @WithDefault("true")
        boolean enabled();

        /** A preview after every this many steps (UNet evaluations): steps k, 2k, 3k, … */
        @WithDefault("5")
        int everySteps();

        /**
         * Most preview bytes one job may send per second (a one-second bucket): a preview that would go over it is
         * skipped. 64 KiB/s lets a 64×64 PNG (4–12 KiB) through several times a second.
         */
        @WithDefault("65536")
        long maxBytesPerSecond();
    }

    /** Cancellations remembered for jobs that are still queued; bounded in size and age. */
    interface CancelledIds {
        @WithDefault("10000")
        int maxSize();

        @WithDefault("PT24H")
        Duration ttl();
    }

    enum ShutdownMode {
        /** Stop between steps and hand the job back to the queue, so another worker runs it. */
        REQUEUE,
        /** Finish the job (within shutdown-grace), then stop. */
        FINISH
    }
}
