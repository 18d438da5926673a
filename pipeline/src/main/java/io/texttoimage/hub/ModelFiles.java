package io.texttoimage.hub;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Which files of a diffusers ONNX Stable Diffusion repo the text-to-image pipeline needs. Everything else (safety
 * checker, VAE encoder, feature extractor, fp16/quantised variants, README, images) is never downloaded.
 */
final class ModelFiles {

    /** Components whose ONNX graph (and its external data) the pipeline loads. */
    static final Set<String> ONNX_COMPONENTS = Set.of("text_encoder", "unet", "vae_decoder");
    static final Set<String> TOKENIZER_FILES = Set.of(
            "tokenizer/vocab.json", "tokenizer/merges.txt", "tokenizer/tokenizer_config.json",
            "tokenizer/special_tokens_map.json");
    static final String MODEL_INDEX = "model_index.json";
    static final String SCHEDULER_CONFIG = "scheduler/scheduler_config.json";

    /** Files that must be present for a folder to be a usable model. */
    static final List<String> REQUIRED = List.of(MODEL_INDEX, SCHEDULER_CONFIG, "tokenizer/vocab.json",
            "tokenizer/merges.txt", "text_encoder/model.onnx", "unet/model.onnx", "vae_decoder/model.onnx");

    private ModelFiles() {
    }

    /** The subset of {@code repoFiles} (repo-relative paths with '/') that the pipeline needs. */
    static List<String> select(List<String> repoFiles) {
        Set<String> otherGraphs = repoFiles.stream()
                .filter(path -> ONNX_COMPONENTS.contains(folderOf(path)))
                .filter(path -> path.endsWith(".onnx") && !path.endsWith("/model.onnx"))
                .collect(Collectors.toSet());
        List<String> selected = new ArrayList<>();
        for (String path : repoFiles) {
            if (isNeeded(path, otherGraphs)) {
                selected.add(path);
            }
        }
        return selected;
    }

    static List<String> missingRequired(List<String> selected) {
        return REQUIRED.stream().filter(required -> !selected.contains(required)).toList();
    }

    private static boolean isNeeded(String path, Set<String> otherGraphs) {
        if (path.equals(MODEL_INDEX) || path.equals(SCHEDULER_CONFIG) || TOKENIZER_FILES.contains(path)) {
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
        for (String other : otherGraphs) {
            if (path.equals(other) || path.startsWith(other)) {
                return false;
            }
        }
        return true;
    }

    private static String folderOf(String path) {
        int slash = path.indexOf('/');
        return slash < 0 ? "" : path.substring(0, slash);
    }
}
