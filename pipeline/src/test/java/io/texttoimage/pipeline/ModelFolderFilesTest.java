package io.texttoimage.pipeline;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The one list of what a model folder consists of, as the Hub client asks it. */
class ModelFolderFilesTest {

    @Test
    void keepsWhatThePipelineLoadsAndSkipsTheRest() {
        List<String> repo = List.of(".gitattributes", "README.md", "model_index.json",
                "feature_extractor/preprocessor_config.json", "safety_checker/config.json", "safety_checker/model.onnx",
                "scheduler/scheduler_config.json",
                "text_encoder/config.json", "text_encoder/model.onnx", "text_encoder/model_fp16.onnx",
                "tokenizer/merges.txt", "tokenizer/special_tokens_map.json", "tokenizer/tokenizer_config.json",
                "tokenizer/vocab.json", "tokenizer/tokenizer.json",
                "unet/config.json", "unet/model.onnx", "unet/model.onnx_data", "unet/model_fp16.onnx",
                "unet/model_fp16.onnx_data", "unet/weights.pb",
                "vae_decoder/config.json", "vae_decoder/model.onnx", "vae_encoder/config.json", "vae_encoder/model.onnx",
                "images/sample.png");
        assertEquals(List.of("model_index.json", "scheduler/scheduler_config.json",
                "text_encoder/config.json", "text_encoder/model.onnx",
                "tokenizer/merges.txt", "tokenizer/special_tokens_map.json", "tokenizer/tokenizer_config.json",
                "tokenizer/vocab.json",
                "unet/config.json", "unet/model.onnx", "unet/model.onnx_data", "unet/weights.pb",
                "vae_decoder/config.json", "vae_decoder/model.onnx"), ModelFolder.filesToLoad(repo));
    }

    @Test
    void namesTheMissingRequiredFiles() {
        assertEquals(List.of("unet/model.onnx", "vae_decoder/model.onnx"), ModelFolder.missingRequiredFiles(List.of(
                "model_index.json", "scheduler/scheduler_config.json", "tokenizer/vocab.json", "tokenizer/merges.txt",
                "text_encoder/model.onnx")));
    }

    /** What the Hub client treats as required is exactly what open() refuses a folder without. */
    @Test
    void openRefusesAFolderWithoutAnyRequiredFile(@TempDir Path temp) throws IOException {
        Path source = Path.of("../testdata/sd-reference/model");
        for (String required : ModelFolder.REQUIRED_FILES) {
            Path copy = linkedCopyOf(source, temp.resolve(required.replace('/', '_')));
            Files.delete(copy.resolve(required));
            ModelFolderException error = assertThrows(ModelFolderException.class, () -> ModelFolder.open(copy), required);
            assertTrue(error.getMessage().contains("missing " + required), error.getMessage());
        }
    }

    /** The folder tree with a symlink per file: open() follows links, and nothing large is copied. */
    private static Path linkedCopyOf(Path source, Path target) throws IOException {
        try (var files = Files.walk(source)) {
            for (Path file : files.toList()) {
                Path copy = target.resolve(source.relativize(file).toString());
                if (Files.isDirectory(file)) {
                    Files.createDirectories(copy);
                } else {
                    Files.createSymbolicLink(copy, file.toAbsolutePath());
                }
            }
        }
        return target;
    }
}
