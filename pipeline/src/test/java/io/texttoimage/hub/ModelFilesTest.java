package io.texttoimage.hub;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ModelFilesTest {

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
                "vae_decoder/config.json", "vae_decoder/model.onnx"), ModelFiles.select(repo));
    }

    @Test
    void namesTheMissingRequiredFiles() {
        assertEquals(List.of("unet/model.onnx", "vae_decoder/model.onnx"), ModelFiles.missingRequired(List.of(
                "model_index.json", "scheduler/scheduler_config.json", "tokenizer/vocab.json", "tokenizer/merges.txt",
                "text_encoder/model.onnx")));
    }
}
