package io.texttoimage.tools;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.texttoimage.contracts.SchedulerNames;
import io.texttoimage.hub.HubSettings;
import io.texttoimage.pipeline.CancellationToken;
import io.texttoimage.pipeline.GeneratedImage;
import io.texttoimage.pipeline.GenerationRequest;
import io.texttoimage.pipeline.GenerationResult;
import io.texttoimage.pipeline.InvalidRequestException;
import io.texttoimage.pipeline.ModelFolder;
import io.texttoimage.pipeline.ModelFolderException;
import io.texttoimage.pipeline.OrtSettings;
import io.texttoimage.pipeline.StableDiffusionPipeline;
import io.texttoimage.pipeline.io.Npy;
import io.texttoimage.pipeline.io.NpyArray;
import io.texttoimage.pipeline.onnx.OrtGraphCache;
import io.texttoimage.pipeline.tokenizer.ClipTokenizer;
import io.texttoimage.pipeline.tokenizer.TokenizedText;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code sd-generate}: Stable Diffusion 1.5 text-to-image on ONNX Runtime from the command line. */
@Command(name = "sd-generate", mixinStandardHelpOptions = true, version = "sd-generate 0.1.0",
        sortOptions = false, usageHelpAutoWidth = true,
        description = "Generates images from a text prompt with a Stable Diffusion 1.5 ONNX model folder "
                + "(diffusers ONNX layout). Results match diffusers' StableDiffusionPipeline for the same settings and seed.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:images written (or tokens printed)", "1:the pipeline failed while running",
                "2:invalid arguments or a broken model folder"})
public final class SdGenerateCommand implements Callable<Integer> {

    static final int EXIT_OK = 0;
    static final int EXIT_FAILED = 1;
    static final int EXIT_USAGE = 2;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model folder (model_index.json, unet/, …).")
    Path model;

    @Option(names = "--prompt", required = true, paramLabel = "TEXT", description = "What to draw (may be empty).")
    String prompt;

    @Option(names = "--negative-prompt", paramLabel = "TEXT",
            description = "What to avoid; used only when --guidance is above 1.")
    String negativePrompt;

    @Option(names = "--width", paramLabel = "N", description = "Image width; default: the model's (512 for SD 1.5).")
    Integer width;

    @Option(names = "--height", paramLabel = "N", description = "Image height; default: the model's.")
    Integer height;

    @Option(names = "--steps", paramLabel = "N", defaultValue = "20", description = "Inference steps (default ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--guidance", paramLabel = "X", defaultValue = "7.5",
            description = "Classifier-free guidance scale (default ${DEFAULT-VALUE}); <= 1 turns guidance off.")
    double guidance;

    @Option(names = "--scheduler", paramLabel = "NAME", completionCandidates = SchedulerNames.Candidates.class,
            description = "${COMPLETION-CANDIDATES} (A1111 names such as \"DPM++ 2M Karras\" work too; any case); "
                    + "default: the model's.")
    String scheduler;

    @Option(names = "--seed", paramLabel = "N", description = "Seed of the PyTorch-compatible CPU generator; default: random in [0, 2^32).")
    Long seed;

    @Option(names = "--latents", paramLabel = "FILE.npy",
            description = "Initial latents [N,4,h,w] or [4,h,w] (unscaled standard-normal); sets size and image count.")
    Path latents;

    @Option(names = "--num-images", paramLabel = "N", description = "Images per prompt, 1-4 (default 1).")
    Integer numImages;

    @Option(names = "--output", paramLabel = "FILE.png", defaultValue = "output.png",
            description = "PNG to write (default ${DEFAULT-VALUE}); further images: FILE-1.png, FILE-2.png, …")
    Path output;

    @Option(names = "--output-npy", paramLabel = "FILE.npy",
            description = "Also write the float image (HWC, 0..1, before uint8); further images FILE-1.npy, …")
    Path outputNpy;

    @Option(names = "--print-tokens", description = "Print the prompt's token ids, token count and truncation as JSON, then exit.")
    boolean printTokens;

    @Option(names = "--cuda", description = "Use the CUDA execution provider when available (needs a -Pgpu build).")
    boolean cuda;

    @Option(names = "--device-id", paramLabel = "N", defaultValue = "0", description = "CUDA device (default ${DEFAULT-VALUE}).")
    int deviceId;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "0",
            description = "ONNX Runtime intra-op threads; 0 = one per core (default).")
    int threads;

    @Option(names = "--optimization", paramLabel = "LEVEL", defaultValue = "all",
            description = "Graph optimisation: disable, basic, extended or all (default ${DEFAULT-VALUE}).")
    String optimization;

    @Option(names = "--graph-cache", paramLabel = "DIR|off",
            description = "Folder of optimised ONNX Runtime graphs reused across starts (default: ort-graph-cache beside "
                    + "the Hugging Face hub cache, as the generator); off = optimise at every start.")
    String graphCache;

    @Option(names = "--quiet", description = "No progress bar.")
    boolean quiet;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        configureLogging();
        System.exit(execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** One line per message on stderr, warnings and errors only (e.g. why CUDA was not used). */
    private static void configureLogging() {
        if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
            System.setProperty("java.util.logging.SimpleFormatter.format", "sd-generate: %4$s: %5$s%6$s%n");
        }
        java.util.logging.Logger root = java.util.logging.Logger.getLogger("");
        java.util.logging.Level level = Boolean.getBoolean("sd.verbose")
                ? java.util.logging.Level.INFO : java.util.logging.Level.WARNING;
        root.setLevel(level);
        for (java.util.logging.Handler handler : root.getHandlers()) {
            handler.setLevel(level);
        }
    }

    /** Runs the command with the given streams and returns its exit code (tests call this). */
    public static int execute(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine commandLine = new CommandLine(new SdGenerateCommand());
        commandLine.setOut(out);
        commandLine.setErr(err);
        commandLine.setParameterExceptionHandler((ex, ignored) -> {
            err.println("sd-generate: " + ex.getMessage() + " (see sd-generate --help)");
            return EXIT_USAGE;
        });
        commandLine.setExecutionExceptionHandler((ex, cmd, parseResult) -> {
            err.println("sd-generate: " + describe(ex));
            return isUserError(ex) ? EXIT_USAGE : EXIT_FAILED;
        });
        int code = commandLine.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    private static boolean isUserError(Exception ex) {
        return ex instanceof ModelFolderException || ex instanceof IllegalArgumentException;
    }

    private static String describe(Exception ex) {
        String message = ex.getMessage();
        if (message == null || message.isBlank()) {
            message = ex.getClass().getSimpleName();
        }
        return message;
    }

    /** The generator's default (see GeneratorConfig.Ort.GraphCache), so both reuse each other's entries. */
    static Path graphCacheFolder(String option) {
        if (option == null || option.isBlank()) {
            return OrtGraphCache.defaultFolder(HubSettings.fromEnvironment().cacheDir());
        }
        return option.equalsIgnoreCase("off") ? null : Path.of(option);
    }

    @Override
    public Integer call() throws IOException {
        PrintWriter err = spec.commandLine().getErr();
        ModelFolder folder = ModelFolder.open(model);
        if (printTokens) {
            printTokens(ClipTokenizer.load(folder.tokenizerDir()).encode(prompt));
            return EXIT_OK;
        }
        float[] initialLatents = readLatents(folder);
        // like A1111: a random seed in [0, 2^32) is short enough to note down and share
        long actualSeed = seed != null ? seed : new SecureRandom().nextLong(1L << 32);
        GenerationRequest request = new GenerationRequest(prompt, negativePrompt, width, height, steps, guidance,
                scheduler, actualSeed, numImages == null ? 1 : numImages, initialLatents);
        // cheap checks first: a wrong size or scheduler name should not wait for the sessions
        StableDiffusionPipeline.checkRequest(model, request);
        requireWritableFile("--output", output);
        if (outputNpy != null) {
            requireWritableFile("--output-npy", outputNpy);
        }

        OrtSettings settings = new OrtSettings(cuda, deviceId, optimization, threads, 0)
                .withGraphCache(graphCacheFolder(graphCache));
        try (StableDiffusionPipeline pipeline = StableDiffusionPipeline.load(model, settings)) {
            GenerationResult result;
            try (ProgressBar bar = new ProgressBar(err, !quiet)) {
                result = pipeline.generate(request, bar, CancellationToken.NEVER);
            }
            writeImages(result, err);
            err.printf(Locale.ROOT, "Seed %d, scheduler %s, %d steps, %.1f s%n", result.seed(), result.scheduler(),
                    steps, result.elapsed().toMillis() / 1000.0);
            storeOptimisedGraphs(pipeline, err);
        }
        return EXIT_OK;
    }

    private void writeImages(GenerationResult result, PrintWriter err) throws IOException {
        for (GeneratedImage image : result.images()) {
            Path png = numbered(output, image.index());
            Files.write(png, image.png());
            if (outputNpy != null) {
                Npy.writeFloats(numbered(outputNpy, image.index()), image.pixelsHwc(), image.height(), image.width(), 3);
            }
            err.printf(Locale.ROOT, "Wrote %s (%dx%d)%n", png, image.width(), image.height());
        }
    }

    /** After the images are written, so that a first run on a machine shows its picture as soon as before. */
    private void storeOptimisedGraphs(StableDiffusionPipeline pipeline, PrintWriter err) {
        if (!pipeline.hasOptimisedGraphsToStore()) {
            return;
        }
        long start = System.nanoTime();
        err.printf(Locale.ROOT, "Storing the optimised graphs for the next run in %s...%n", graphCacheFolder(graphCache));
        List<String> stored = pipeline.storeOptimisedGraphs();
        err.printf(Locale.ROOT, "Stored %s in %.1f s%n", stored.isEmpty() ? "nothing" : String.join(", ", stored),
                (System.nanoTime() - start) / 1e9);
    }

    private void printTokens(TokenizedText tokens) throws IOException {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("input_ids", tokens.inputIds());
        json.put("token_count", tokens.tokenCount());
        json.put("truncated", tokens.truncated());
        spec.commandLine().getOut().println(new ObjectMapper().writeValueAsString(json));
    }

    /** Reads --latents and takes image count and size from its shape unless they were given (then they must agree). */
    private float[] readLatents(ModelFolder folder) {
        if (latents == null) {
            return null;
        }
        NpyArray array;
        try {
            array = Npy.read(latents);
        } catch (RuntimeException e) {
            throw new InvalidRequestException("Cannot read latents " + latents + ": " + e.getMessage());
        }
        long[] shape = array.shape();
        if (shape.length == 3) {
            shape = new long[] {1, shape[0], shape[1], shape[2]};
        }
        if (shape.length != 4 || shape[1] != folder.latentChannels()) {
            throw new InvalidRequestException("Latents " + latents + " must have shape [N, " + folder.latentChannels()
                    + ", h, w], got " + Arrays.toString(array.shape()) + ".");
        }
        int scale = folder.vaeScaleFactor();
        numImages = agree("--num-images", numImages, (int) shape[0]);
        height = agree("--height", height, (int) shape[2] * scale);
        width = agree("--width", width, (int) shape[3] * scale);
        return array.floats();
    }

    private Integer agree(String option, Integer given, int fromLatents) {
        if (given != null && given != fromLatents) {
            throw new InvalidRequestException(option + " " + given + " does not match the latents in " + latents
                    + ", which imply " + fromLatents + ".");
        }
        return fromLatents;
    }

    /**
     * Refuses, before the models load, an output the pipeline could not write at the end: an existing folder, a
     * missing folder, a "folder" that is a file, or one where no file can be created (probed by creating and
     * deleting a temporary file, because permission bits say nothing for root or for /proc and read-only mounts).
     */
    static void requireWritableFile(String option, Path file) {
        Path absolute = file.toAbsolutePath();
        if (Files.isDirectory(absolute)) {
            throw new InvalidRequestException("Cannot write " + option + " " + file + ": it is a folder; give a file name"
                    + " such as " + absolute.resolve("output.png") + ".");
        }
        Path parent = absolute.getParent();
        Path existing = firstExistingAncestor(parent);
        if (existing != null && !Files.isDirectory(existing)) {
            throw new InvalidRequestException("Cannot write " + option + " " + file + ": " + existing
                    + " is a file, not a folder.");
        }
        if (parent == null || !parent.equals(existing)) {
            throw new InvalidRequestException("Cannot write " + option + " " + file + ": folder " + parent
                    + " does not exist.");
        }
        if (Files.exists(absolute) && !Files.isWritable(absolute)) {
            throw new InvalidRequestException("Cannot write " + option + " " + file + ": the file is read-only.");
        }
        try {
            Files.delete(Files.createTempFile(parent, ".sd-generate-", ".tmp"));
        } catch (IOException | SecurityException e) {
            throw new InvalidRequestException("Cannot write " + option + " " + file + ": no file can be created in "
                    + parent + ".");
        }
    }

    /** The nearest ancestor of {@code path} that exists (a file or a folder), or null. */
    private static Path firstExistingAncestor(Path path) {
        Path current = path;
        while (current != null && !Files.exists(current)) {
            current = current.getParent();
        }
        return current;
    }

    /** FILE.png for the first image, FILE-1.png, FILE-2.png … for the others. */
    static Path numbered(Path file, int index) {
        if (index == 0) {
            return file;
        }
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String numbered = dot > 0 ? name.substring(0, dot) + "-" + index + name.substring(dot) : name + "-" + index;
        return file.resolveSibling(numbered);
    }

}
