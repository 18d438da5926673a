package io.texttoimage.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A diffusers ONNX model folder ({@code OnnxStableDiffusionPipeline} layout) and the constants its configs define.
 * Reading it touches only small JSON files, so callers can validate a folder before creating any ONNX Runtime session.
 * It is also the one place that knows which files a model folder consists of: the Hub client asks it what to download.
 */
public final class ModelFolder {

    /** The pipeline's index; a folder that has it is complete (the Hub client writes it last). */
    public static final String MODEL_INDEX = "model_index.json";

    /** Files without which {@link #open} refuses a folder, in the order it checks them. */
    public static final List<String> REQUIRED_FILES = List.of(MODEL_INDEX, "tokenizer/vocab.json",
            "tokenizer/merges.txt", "text_encoder/model.onnx", "unet/model.onnx", "vae_decoder/model.onnx",
            "scheduler/scheduler_config.json");

    /** Read when present: the tokenizer's special tokens and maximum length. */
    private static final Set<String> OPTIONAL_TOKENIZER_FILES = Set.of(
            "tokenizer/tokenizer_config.json", "tokenizer/special_tokens_map.json");

    /** Components whose ONNX graph {@code model.onnx} (with its external data and config.json) the pipeline loads. */
    private static final Set<String> ONNX_COMPONENTS = Set.of("text_encoder", "unet", "vae_decoder");

    private static final System.Logger LOG = System.getLogger(ModelFolder.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();

    /*
     * Values diffusers' OnnxStableDiffusionPipeline itself assumes for SD 1.5 when a component ships without config.json
     * (its vae_scale_factor 8, 0.18215 and 512×512); used only as a logged fallback.
     */
    private static final int FALLBACK_VAE_SCALE_FACTOR = 8;
    private static final double FALLBACK_SCALING_FACTOR = 0.18215;
    private static final int FALLBACK_LATENT_CHANNELS = 4;
    private static final int FALLBACK_UNET_SAMPLE_SIZE = 64;
    private static final int FALLBACK_UNET_DOWNSAMPLING = 8;

    private final Path root;
    private final int vaeScaleFactor;
    private final int latentChannels;
    private final double vaeScalingFactor;
    private final int unetSampleSize;
    private final int unetDownsampling;

    private ModelFolder(Path root, int vaeScaleFactor, int latentChannels, double vaeScalingFactor, int unetSampleSize,
                        int unetDownsampling) {
        this.root = root;
        this.vaeScaleFactor = vaeScaleFactor;
        this.latentChannels = latentChannels;
        this.vaeScalingFactor = vaeScalingFactor;
        this.unetSampleSize = unetSampleSize;
        this.unetDownsampling = unetDownsampling;
    }

    /** Checks that every file the pipeline needs is there and reads the model constants from the configs. */
    public static ModelFolder open(Path modelDir) {
        if (modelDir == null || !Files.isDirectory(modelDir)) {
            throw new ModelFolderException("Model folder " + modelDir + " does not exist or is not a directory.");
        }
        Path root = modelDir.toAbsolutePath().normalize();
        readJson(root, MODEL_INDEX, true);
        for (String required : REQUIRED_FILES.subList(1, REQUIRED_FILES.size())) {
            requireFile(root, required);
        }
        JsonNode unet = readJson(root, "unet/config.json", false);
        JsonNode vae = readJson(root, "vae_decoder/config.json", false);

        int vaeScale = FALLBACK_VAE_SCALE_FACTOR;
        int latentChannels = FALLBACK_LATENT_CHANNELS;
        double scaling = FALLBACK_SCALING_FACTOR;
        if (vae != null) {
            vaeScale = 1 << (blockCount(vae, "vae_decoder/config.json") - 1);
            latentChannels = positiveInt(vae, "latent_channels", FALLBACK_LATENT_CHANNELS, "vae_decoder/config.json");
            scaling = positiveDouble(vae, "scaling_factor", FALLBACK_SCALING_FACTOR, "vae_decoder/config.json");
        } else {
            LOG.log(Level.WARNING, "{0} has no vae_decoder/config.json; using diffusers'' ONNX pipeline defaults "
                    + "(VAE scale factor 8, scaling factor 0.18215, 4 latent channels)", root);
        }
        int sampleSize = FALLBACK_UNET_SAMPLE_SIZE;
        int downsampling = FALLBACK_UNET_DOWNSAMPLING;
        if (unet != null) {
            sampleSize = positiveInt(unet, "sample_size", FALLBACK_UNET_SAMPLE_SIZE, "unet/config.json");
            downsampling = 1 << (blockCount(unet, "unet/config.json") - 1);
        } else {
            LOG.log(Level.WARNING, "{0} has no unet/config.json; assuming SD 1.5''s sample size 64 (512 pixels)", root);
        }
        return new ModelFolder(root, vaeScale, latentChannels, scaling, sampleSize, downsampling);
    }

    public Path root() {
        return root;
    }

    public String name() {
        return root.getFileName() == null ? root.toString() : root.getFileName().toString();
    }

    public Path tokenizerDir() {
        return root.resolve("tokenizer");
    }

    public Path textEncoder() {
        return root.resolve("text_encoder/model.onnx");
    }

    public Path unet() {
        return root.resolve("unet/model.onnx");
    }

    public Path vaeDecoder() {
        return root.resolve("vae_decoder/model.onnx");
    }

    public Path schedulerConfig() {
        return root.resolve("scheduler/scheduler_config.json");
    }

    /** 2^(len(vae.block_out_channels) - 1): pixels per latent cell. */
    public int vaeScaleFactor() {
        return vaeScaleFactor;
    }

    public int latentChannels() {
        return latentChannels;
    }

    /** The VAE's {@code scaling_factor}: latents are divided by it before decoding. */
    public double vaeScalingFactor() {
        return vaeScalingFactor;
    }

    /** Default image side: UNet sample_size × VAE scale factor. */
    public int defaultImageSize() {
        return unetSampleSize * vaeScaleFactor;
    }

    /** Image sides must be multiples of this: the UNet halves the latents once per extra down block. */
    public int sizeMultiple() {
        return vaeScaleFactor * unetDownsampling;
    }

    /** Path relative to the model folder, for messages. */
    public String relative(Path file) {
        return root.relativize(file.toAbsolutePath().normalize()).toString();
    }

    /**
     * The files of a repository listing (paths relative to its root, '/'-separated) that the pipeline loads, in
     * listing order. Everything else (safety checker, VAE encoder, feature extractor, fp16 or quantised graph
     * variants and their data, READMEs, images) is left out.
     */
    public static List<String> filesToLoad(Collection<String> repoFiles) {
        Set<String> otherGraphs = repoFiles.stream()
                .filter(path -> ONNX_COMPONENTS.contains(folderOf(path)))
                .filter(path -> path.endsWith(".onnx") && !path.endsWith("/model.onnx"))
                .collect(Collectors.toSet());
        return repoFiles.stream().filter(path -> isLoaded(path, otherGraphs)).toList();
    }

    /** The {@link #REQUIRED_FILES} that {@code files} lacks, in their order. */
    public static List<String> missingRequiredFiles(Collection<String> files) {
        return REQUIRED_FILES.stream().filter(required -> !files.contains(required)).toList();
    }

    private static boolean isLoaded(String path, Set<String> otherGraphs) {
        if (REQUIRED_FILES.contains(path) || OPTIONAL_TOKENIZER_FILES.contains(path)) {
            return true;
        }
        String folder = folderOf(path);
        if (!ONNX_COMPONENTS.contains(folder) || path.indexOf('/') != path.lastIndexOf('/')) {
            return false;
        }
        String name = path.substring(folder.length() + 1);
        if (name.endsWith(".md") || name.startsWith(".")) {
            return false;
        }
        // model.onnx plus its external data (weights.pb, model.onnx_data, ...), but not the data of other
        // variants such as model_fp16.onnx / model_fp16.onnx_data.
        return otherGraphs.stream().noneMatch(path::startsWith);
    }

    private static String folderOf(String path) {
        int slash = path.indexOf('/');
        return slash < 0 ? "" : path.substring(0, slash);
    }

    private static void requireFile(Path root, String relative) {
        Path file = root.resolve(relative);
        if (!Files.isRegularFile(file)) {
            throw new ModelFolderException("Model folder " + root + " is missing " + relative + ".");
        }
        if (!Files.isReadable(file)) {
            throw new ModelFolderException("Cannot read " + file + ".");
        }
    }

    private static JsonNode readJson(Path root, String relative, boolean required) {
        Path file = root.resolve(relative);
        if (!Files.isRegularFile(file)) {
            if (required) {
                throw new ModelFolderException("Model folder " + root + " is missing " + relative + ".");
            }
            return null;
        }
        try {
            JsonNode node = JSON.readTree(file.toFile());
            if (node == null || !node.isObject()) {
                throw new ModelFolderException(file + " is not a JSON object.");
            }
            return node;
        } catch (IOException e) {
            throw new ModelFolderException(file + " is not valid JSON: " + firstLine(e.getMessage()), e);
        }
    }

    private static int blockCount(JsonNode config, String fileName) {
        JsonNode blocks = config.get("block_out_channels");
        if (blocks == null || !blocks.isArray() || blocks.isEmpty() || blocks.size() > 8) {
            throw new ModelFolderException(fileName + " needs a non-empty block_out_channels array.");
        }
        return blocks.size();
    }

    private static int positiveInt(JsonNode config, String field, int fallback, String fileName) {
        JsonNode value = config.get(field);
        if (value == null || value.isNull()) {
            return fallback;
        }
        if (!value.canConvertToInt() || !value.isIntegralNumber() || value.intValue() <= 0) {
            throw new ModelFolderException(fileName + ": " + field + " must be a positive integer, got " + value + ".");
        }
        return value.intValue();
    }

    private static double positiveDouble(JsonNode config, String field, double fallback, String fileName) {
        JsonNode value = config.get(field);
        if (value == null || value.isNull()) {
            return fallback;
        }
        if (!value.isNumber() || !(value.doubleValue() > 0) || !Double.isFinite(value.doubleValue())) {
            throw new ModelFolderException(fileName + ": " + field + " must be a positive number, got " + value + ".");
        }
        return value.doubleValue();
    }

    static String firstLine(String message) {
        if (message == null) {
            return "";
        }
        int newline = message.indexOf('\n');
        return (newline < 0 ? message : message.substring(0, newline)).trim();
    }
}
