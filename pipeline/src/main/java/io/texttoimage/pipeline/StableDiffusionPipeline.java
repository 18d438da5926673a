package io.texttoimage.pipeline;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.texttoimage.pipeline.io.PngImages;
import io.texttoimage.pipeline.preview.StepLatents;
import io.texttoimage.pipeline.random.TorchGenerator;
import io.texttoimage.pipeline.scheduler.Scheduler;
import io.texttoimage.pipeline.scheduler.SchedulerConfig;
import io.texttoimage.pipeline.scheduler.Schedulers;
import io.texttoimage.pipeline.tokenizer.ClipTokenizer;
import io.texttoimage.pipeline.tokenizer.PromptTokens;

import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Stable Diffusion 1.5 text-to-image on ONNX Runtime, step for step what diffusers' {@code StableDiffusionPipeline}
 * does: encode prompt and negative prompt, draw latents from a PyTorch-compatible generator, denoise with one batched
 * UNet call per step ([uncond×N, cond×N] under classifier-free guidance), decode with the VAE, convert to uint8 PNG.
 *
 * <p>Sessions are created once in {@link #load} and reused; {@link #generate} runs one request at a time per instance
 * (concurrent callers wait); {@link #close} frees all native resources once.
 */
public final class StableDiffusionPipeline implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(StableDiffusionPipeline.class.getName());
    /** Guard against requests that would need tens of GiB; SD 1.5 is trained at 512. */
    static final int MAX_SIDE = 2048;

    private final ModelFolder folder;
    private final SchedulerConfig schedulerConfig;
    private final String defaultScheduler;
    private final ModelInfo info;
    private final TextEncoder textEncoder;
    private final UnetModel unet;
    private final VaeDecoder vae;
    private final ReentrantLock runLock = new ReentrantLock();
    private final LoadReport loadReport;
    private final SessionLoader loader;
    private List<SessionLoader.GraphToStore> graphsToStore;
    private volatile boolean closed;
    private volatile OrtCallStats lastStats;

    private StableDiffusionPipeline(ModelFolder folder, SchedulerConfig schedulerConfig, String defaultScheduler,
                                    String provider, TextEncoder textEncoder, UnetModel unet, VaeDecoder vae,
                                    LoadReport loadReport, SessionLoader loader,
                                    List<SessionLoader.GraphToStore> graphsToStore) {
        this.folder = folder;
        this.loader = loader;
        this.graphsToStore = graphsToStore;
        this.schedulerConfig = schedulerConfig;
        this.defaultScheduler = defaultScheduler;
        this.textEncoder = textEncoder;
        this.unet = unet;
        this.vae = vae;
        this.loadReport = loadReport;
        int size = folder.defaultImageSize();
        this.info = new ModelInfo(folder.name(), size, size, defaultScheduler, folder.vaeScaleFactor(),
                folder.latentChannels(), folder.sizeMultiple(), provider);
    }

    /**
     * Reads the model folder and creates the three ONNX Runtime sessions; the tokenizer's vocabulary is read on a
     * thread of its own meanwhile (it is on a cold start's critical path otherwise: docs/cold-start.md).
     */
    public static StableDiffusionPipeline load(Path modelDir, OrtSettings settings) {
        ModelFolder folder = ModelFolder.open(modelDir);
        SchedulerConfig schedulerConfig = loadSchedulerConfig(folder);
        String defaultScheduler = defaultScheduler(schedulerConfig);
        CompletableFuture<ClipTokenizer> tokenizer = CompletableFuture.supplyAsync(
                () -> ClipTokenizer.load(folder.tokenizerDir()),
                task -> Thread.ofPlatform().name("t2i-tokenizer-loader").daemon().start(task));
        OrtEnvironment env = OrtSessionFactory.environment();
        SessionLoader loader = new SessionLoader(env, settings == null ? OrtSettings.cpu() : settings);
        SessionLoader.Loaded loaded = loader.load(List.of(
                new SessionLoader.Part("text_encoder", folder.textEncoder()),
                new SessionLoader.Part("unet", folder.unet()),
                new SessionLoader.Part("vae_decoder", folder.vaeDecoder())));
        List<OnnxComponent> graphs = loaded.components();
        try {
            var pipeline = new StableDiffusionPipeline(folder, schedulerConfig, defaultScheduler,
                    loaded.executionProvider(), new TextEncoder(env, joined(tokenizer), graphs.get(0)),
                    new UnetModel(env, graphs.get(1)), new VaeDecoder(env, graphs.get(2)), loaded.report(),
                    loader, loaded.toStore());
            LOG.log(Level.INFO, "Loaded {0} on {1} in {2} ms (UNet timestep {3}; {4})", folder.name(),
                    loaded.executionProvider(), loaded.report().total().toMillis(), pipeline.unet.timestepType(),
                    loaded.report().summary());
            return pipeline;
        } catch (RuntimeException e) {
            closeAll(new ArrayList<>(graphs));
            throw e;
        }
    }

    /** The tokenizer loaded beside the sessions, or its own exception (a broken vocabulary file, say). */
    private static ClipTokenizer joined(CompletableFuture<ClipTokenizer> tokenizer) {
        try {
            return tokenizer.join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        }
    }

    /** Whether {@link #storeOptimisedGraphs} has work: the graph cache lacked some component at load. */
    public synchronized boolean hasOptimisedGraphsToStore() {
        return !graphsToStore.isEmpty();
    }

    /**
     * Stores the optimised graphs the load had to make itself (a cache miss) so that the next start loads them
     * ready-made. It creates a throw-away session per missing component, on the calling thread: tens of seconds of
     * CPU and, for the UNet, about its memory again, which is why the load itself does not do it. Safe to call while
     * another thread generates; the second call does nothing. Returns the names of the components stored.
     */
    public synchronized List<String> storeOptimisedGraphs() {
        List<SessionLoader.GraphToStore> pending = graphsToStore;
        graphsToStore = List.of();
        return loader.store(pending);
    }

    private static SchedulerConfig loadSchedulerConfig(ModelFolder folder) {
        try {
            return SchedulerConfig.load(folder.schedulerConfig());
        } catch (RuntimeException e) {
            throw new ModelFolderException("scheduler/scheduler_config.json is invalid: "
                    + ModelFolder.firstLine(e.getMessage()), e);
        }
    }

    private static void closeAll(List<AutoCloseable> resources) {
        for (AutoCloseable resource : resources) {
            try {
                resource.close();
            } catch (Exception e) {
                LOG.log(Level.WARNING, "Closing a session failed", e);
            }
        }
    }

    ModelFolder folder() {
        return folder;
    }

    TextEncoder textEncoder() {
        return textEncoder;
    }

    UnetModel unet() {
        return unet;
    }

    VaeDecoder vae() {
        return vae;
    }

    public ModelInfo info() {
        return info;
    }

    public ClipTokenizer tokenizer() {
        return textEncoder.tokenizer();
    }

    /**
     * The request's prompts as the text encoder will take them, without running anything: lengths in CLIP tokens and
     * the text the tokenizer's limit drops. The negative prompt is measured only under classifier-free guidance
     * (guidance scale above 1), the only case in which it is encoded.
     */
    public PromptLengths measurePrompts(GenerationRequest request) {
        ClipTokenizer tokenizer = tokenizer();
        PromptTokens negative = request.guidanceScale() > 1.0
                ? tokenizer.measure(request.negativePrompt() == null ? "" : request.negativePrompt())
                : null;
        return new PromptLengths(tokenizer.measure(request.prompt()), negative);
    }

    /** Wall time it took to create the three sessions. */
    public Duration sessionCreationTime() {
        return loadReport.total();
    }

    /** How the sessions were created: per component, its time and whether its graph came from the cache. */
    public LoadReport loadReport() {
        return loadReport;
    }

    /** ONNX Runtime time of the last completed {@link #generate} call (null before the first). */
    public OrtCallStats lastCallStats() {
        return lastStats;
    }

    public GenerationResult generate(GenerationRequest request, ProgressListener listener, CancellationToken cancel) {
        return generate(request, listener, cancel, PipelineTrace.NONE);
    }

    GenerationResult generate(GenerationRequest request, ProgressListener listener, CancellationToken cancel,
                              PipelineTrace trace) {
        ProgressListener progress = listener == null ? ProgressListener.NONE : listener;
        CancellationToken token = cancel == null ? CancellationToken.NEVER : cancel;
        runLock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("The pipeline for " + folder.name() + " is closed.");
            }
            long start = System.nanoTime();
            ResolvedRequest resolved = resolve(request);
            try (CancellationWatcher watcher = CancellationWatcher.watch(token)) {
                Run run = new Run(this, resolved, progress, token, trace, watcher == null ? null : watcher.options());
                resetCounters();
                try {
                    GenerationResult result = run.execute();
                    lastStats = stats(Duration.ofNanos(System.nanoTime() - start), Duration.ofNanos(run.pngNanos));
                    return result;
                } catch (OrtException e) {
                    if (watcher != null && watcher.terminated()) {
                        // ONNX Runtime stopped inside a call because the token asked for it
                        throw new GenerationCancelledException(run.completedSteps, run.totalSteps);
                    }
                    throw e;
                }
            }
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed: " + ModelFolder.firstLine(e.getMessage()), e);
        } finally {
            runLock.unlock();
        }
    }

    /** A request with every default filled in and checked against this model. */
    record ResolvedRequest(GenerationRequest request, int width, int height, int latentHeight, int latentWidth,
                           String schedulerName, Scheduler scheduler) {
    }

    ResolvedRequest resolve(GenerationRequest request) {
        ResolvedRequest resolved = resolve(folder, schedulerConfig, defaultScheduler, request);
        int batch = request.guidanceScale() > 1 ? 2 * request.numImages() : request.numImages();
        String rejection = unet.rejectShape(batch, folder.latentChannels(), resolved.latentHeight(),
                resolved.latentWidth());
        if (rejection != null) {
            throw new InvalidRequestException("This model cannot run this request (" + resolved.width() + "x"
                    + resolved.height() + ", " + request.numImages() + " image(s)): " + rejection + ".");
        }
        return resolved;
    }

    /**
     * Checks a request against this model (size, scheduler name, steps, latents) without running anything; throws
     * {@link InvalidRequestException} with a one-sentence message. {@link #generate} does the same checks first.
     *
     * @return how many UNet evaluations (progress steps) the request will take: the scheduler decides, e.g. PNDM
     *         evaluates one more than the requested steps
     */
    public int check(GenerationRequest request) {
        Scheduler scheduler = resolve(request).scheduler();
        scheduler.setTimesteps(request.steps());
        return scheduler.timesteps().length;
    }

    /**
     * Checks a request against a model folder without creating any session, so that a command line can reject a bad
     * size or scheduler name before spending seconds on loading. {@link #generate} repeats these checks.
     */
    public static void checkRequest(Path modelDir, GenerationRequest request) {
        ModelFolder folder = ModelFolder.open(modelDir);
        SchedulerConfig config = loadSchedulerConfig(folder);
        resolve(folder, config, defaultScheduler(config), request);
    }

    private static String defaultScheduler(SchedulerConfig config) {
        try {
            return Schedulers.defaultName(config);
        } catch (IllegalArgumentException e) {
            throw new ModelFolderException("scheduler/scheduler_config.json: " + e.getMessage(), e);
        }
    }

    private static ResolvedRequest resolve(ModelFolder folder, SchedulerConfig schedulerConfig, String defaultScheduler,
                                           GenerationRequest request) {
        int width = request.width() == null ? folder.defaultImageSize() : request.width();
        int height = request.height() == null ? folder.defaultImageSize() : request.height();
        int multiple = folder.sizeMultiple();
        if (width % multiple != 0 || height % multiple != 0) {
            throw new InvalidRequestException("Width and height must be multiples of " + multiple + " for this model, got "
                    + width + "x" + height + ".");
        }
        if (width > MAX_SIDE || height > MAX_SIDE) {
            throw new InvalidRequestException("Width and height must be at most " + MAX_SIDE + ", got " + width + "x"
                    + height + ".");
        }
        int latentHeight = height / folder.vaeScaleFactor();
        int latentWidth = width / folder.vaeScaleFactor();
        int trainSteps = schedulerConfig.getInt("num_train_timesteps", 1000);
        if (request.steps() > trainSteps) {
            throw new InvalidRequestException("Steps must be at most " + trainSteps + " (the scheduler's training "
                    + "timesteps), got " + request.steps() + ".");
        }
        String schedulerName = request.scheduler() == null ? defaultScheduler : request.scheduler();
        Scheduler scheduler;
        try {
            scheduler = Schedulers.create(schedulerName, schedulerConfig);
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException(e.getMessage());
        }
        if (request.initialLatents() != null) {
            long expected = (long) request.numImages() * folder.latentChannels() * latentHeight * latentWidth;
            if (request.initialLatents().length != expected) {
                throw new InvalidRequestException("Initial latents must have " + request.numImages() + "x"
                        + folder.latentChannels() + "x" + latentHeight + "x" + latentWidth + " = " + expected
                        + " values for " + width + "x" + height + ", got " + request.initialLatents().length + ".");
            }
        }
        // the canonical name (an alias such as "DPM++ 2M Karras" becomes dpmpp-2m-karras) for results and metadata
        return new ResolvedRequest(request, width, height, latentHeight, latentWidth, scheduler.name(), scheduler);
    }

    private void resetCounters() {
        textEncoder.graph().resetCounters();
        unet.graph().resetCounters();
        vae.graph().resetCounters();
    }

    private OrtCallStats stats(Duration wall, Duration pngEncoding) {
        return new OrtCallStats(wall,
                Duration.ofNanos(textEncoder.graph().runNanos()), textEncoder.graph().runCount(),
                Duration.ofNanos(unet.graph().runNanos()), unet.graph().runCount(),
                Duration.ofNanos(vae.graph().runNanos()), vae.graph().runCount(), pngEncoding);
    }

    /** The state of one generate call. */
    private static final class Run {
        private final StableDiffusionPipeline pipeline;
        private final ResolvedRequest resolved;
        private final GenerationRequest request;
        private final ProgressListener progress;
        private final CancellationToken cancel;
        private final PipelineTrace trace;
        private final OrtSession.RunOptions options;
        private final PromptLengths promptLengths;
        private final long startNanos = System.nanoTime();
        int completedSteps;
        int totalSteps = 1;
        long pngNanos;

        Run(StableDiffusionPipeline pipeline, ResolvedRequest resolved, ProgressListener progress,
            CancellationToken cancel, PipelineTrace trace, OrtSession.RunOptions options) {
            this.pipeline = pipeline;
            this.resolved = resolved;
            this.request = resolved.request();
            this.progress = progress;
            this.cancel = cancel;
            this.trace = trace;
            this.options = options;
            this.promptLengths = pipeline.measurePrompts(request);
        }

        GenerationResult execute() throws OrtException {
            // diffusers: classifier-free guidance only when guidance_scale > 1; the negative prompt is ignored otherwise
            boolean guidance = request.guidanceScale() > 1.0;
            TextEncoder.Embedding cond = pipeline.textEncoder.encode(request.prompt(), options);
            TextEncoder.Embedding uncond = guidance
                    ? pipeline.textEncoder.encode(request.negativePrompt() == null ? "" : request.negativePrompt(),
                    options)
                    : null;
            if (trace != PipelineTrace.NONE) {
                trace.textEncoded(cond.tokens(), cond.values().clone(), uncond == null ? null : uncond.tokens(),
                        uncond == null ? null : uncond.values().clone());
            }
            checkCancelled(0, 1);

            // diffusers' order: timesteps first (init_noise_sigma depends on them), then the latents
            Scheduler scheduler = resolved.scheduler();
            scheduler.setTimesteps(request.steps());
            float[] timesteps = scheduler.timesteps();
            totalSteps = timesteps.length;
            trace.timesteps(timesteps.clone(), scheduler.initNoiseSigma());
            TorchGenerator generator = new TorchGenerator(request.seed());
            float[] latents = initialLatents(generator, scheduler.initNoiseSigma());

            latents = denoise(scheduler, timesteps, latents, generator, cond, uncond);
            checkCancelled(timesteps.length, timesteps.length);
            return new GenerationResult(decode(latents), elapsed(), request.seed(), resolved.schedulerName());
        }

        /** The given latents or one [N, C, h, w] draw from the seeded generator, times init_noise_sigma. */
        private float[] initialLatents(TorchGenerator generator, float initNoiseSigma) {
            float[] latents = request.initialLatents() != null
                    ? request.initialLatents().clone()
                    : generator.randn(request.numImages(), pipeline.folder.latentChannels(), resolved.latentHeight(),
                    resolved.latentWidth());
            if (trace != PipelineTrace.NONE) {
                trace.initialLatents(latents.clone());
            }
            for (int i = 0; i < latents.length; i++) {
                latents[i] = latents[i] * initNoiseSigma;
            }
            return latents;
        }

        /** The denoising loop: one batched UNet call per timestep, the scheduler's update in between. */
        private float[] denoise(Scheduler scheduler, float[] timesteps, float[] latents, TorchGenerator generator,
                                TextEncoder.Embedding cond, TextEncoder.Embedding uncond) throws OrtException {
            boolean guidance = uncond != null;
            int images = request.numImages();
            int batch = guidance ? 2 * images : images;
            float[] unetOutput = new float[batch * latents.length / images];
            float guidanceScale = (float) request.guidanceScale();
            try (UnetModel.Bindings unet = pipeline.unet.bind(batch, pipeline.folder.latentChannels(),
                    resolved.latentHeight(), resolved.latentWidth(), cond.sequenceLength(), cond.hiddenSize())) {
                fillHiddenStates(unet.hiddenIn, cond, uncond, images);
                for (int step = 0; step < timesteps.length; step++) {
                    checkCancelled(step, timesteps.length);
                    float t = timesteps[step];
                    float[] scaled = scheduler.scaleModelInput(latents, t);
                    unet.sampleIn.putFloats(0, scaled, 0, scaled.length);
                    if (guidance) {
                        unet.sampleIn.putFloats(scaled.length, scaled, 0, scaled.length);
                    }
                    unet.run(t, options);
                    unet.noiseOut.getFloats(unetOutput);
                    if (trace != PipelineTrace.NONE) {
                        float[] input = new float[unetOutput.length];
                        unet.sampleIn.getFloats(input);
                        trace.unetEvaluated(step, t, input, unetOutput.clone());
                    }
                    // a fresh array every step: multistep schedulers keep earlier model outputs
                    float[] noisePrediction = guidance
                            ? applyGuidance(unetOutput, latents.length, guidanceScale)
                            : java.util.Arrays.copyOf(unetOutput, latents.length);
                    latents = scheduler.step(noisePrediction, t, latents, generator);
                    if (trace != PipelineTrace.NONE) {
                        trace.latentsAfterStep(step, latents.clone());
                    }
                    completedSteps = step + 1;
                    progress.onStep(step + 1, timesteps.length, elapsed());
                    progress.onLatents(step + 1, timesteps.length, stepLatents(scheduler, latents));
                }
            }
            return latents;
        }

        /** The scheduler's predicted clean sample when it has one (a far clearer preview early on), else the latents. */
        private StepLatents stepLatents(Scheduler scheduler, float[] latents) {
            float[] predicted = scheduler.predOriginalSample();
            return new StepLatents(predicted != null ? predicted : latents, predicted != null, request.numImages(),
                    pipeline.folder.latentChannels(), resolved.latentHeight(), resolved.latentWidth());
        }

        private void fillHiddenStates(BoundTensor target, TextEncoder.Embedding cond, TextEncoder.Embedding uncond,
                                      int images) {
            int size = cond.values().length;
            int offset = 0;
            if (uncond != null) {
                for (int i = 0; i < images; i++, offset += size) {
                    target.putFloats(offset, uncond.values(), 0, size);
                }
            }
            for (int i = 0; i < images; i++, offset += size) {
                target.putFloats(offset, cond.values(), 0, size);
            }
        }

        /** noise = uncond + scale × (cond − uncond), in float32 like torch. */
        private static float[] applyGuidance(float[] output, int half, float scale) {
            float[] noise = new float[half];
            for (int i = 0; i < half; i++) {
                float unconditional = output[i];
                noise[i] = unconditional + scale * (output[half + i] - unconditional);
            }
            return noise;
        }

        /** VAE decode, one image at a time, then diffusers' float image and the uint8 PNG. */
        private List<GeneratedImage> decode(float[] latents) throws OrtException {
            int h = resolved.latentHeight();
            int w = resolved.latentWidth();
            int channels = pipeline.folder.latentChannels();
            int scale = pipeline.folder.vaeScaleFactor();
            int perImage = channels * h * w;
            float scaling = (float) pipeline.folder.vaeScalingFactor();
            float[] scaled = new float[perImage];
            List<GeneratedImage> images = new ArrayList<>();
            try (VaeDecoder.Bindings vae = pipeline.vae.bind(channels, h, w, scale)) {
                int outChannels = pipeline.vae.outputChannels();
                int height = h * scale;
                int width = w * scale;
                float[] decoded = new float[outChannels * height * width];
                for (int image = 0; image < request.numImages(); image++) {
                    for (int i = 0; i < perImage; i++) {
                        scaled[i] = latents[image * perImage + i] / scaling;
                    }
                    vae.latentIn.putFloats(scaled);
                    vae.run(options);
                    vae.imageOut.getFloats(decoded);
                    float[] hwc = PngImages.decoderOutputToHwc(decoded, outChannels, height, width);
                    byte[] rgb = PngImages.toUint8Rgb(hwc);
                    long pngStart = System.nanoTime();
                    byte[] png = PngImages.encodeRgb(rgb, width, height, Map.of("parameters", parameters(width, height)));
                    pngNanos += System.nanoTime() - pngStart;
                    images.add(new GeneratedImage(image, width, height, png, hwc));
                }
            }
            return images;
        }

        private String parameters(int width, int height) {
            return PngImages.a1111Parameters(request.prompt(), request.negativePrompt(), request.steps(),
                    resolved.schedulerName(), request.guidanceScale(), request.seed(), width, height,
                    pipeline.folder.name(), promptLengths.prompt(), promptLengths.negativePrompt());
        }

        private void checkCancelled(int completed, int total) {
            if (cancel.isCancellationRequested()) {
                throw new GenerationCancelledException(completed, total);
            }
        }

        private Duration elapsed() {
            return Duration.ofNanos(System.nanoTime() - startNanos);
        }
    }

    @Override
    public void close() {
        runLock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            textEncoder.close();
            unet.close();
            vae.close();
        } finally {
            runLock.unlock();
        }
    }
}
