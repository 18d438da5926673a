package io.texttoimage.pipeline;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Broken model folders give a {@link ModelFolderException} naming the file; sessions close once. */
class ModelLoadingTest {

    @TempDir
    Path temp;

    Path copyOf(Path model) throws IOException {
        Path target = temp.resolve(model.getFileName());
        try (Stream<Path> files = Files.walk(model)) {
            for (Path source : (Iterable<Path>) files::iterator) {
                Path copy = target.resolve(model.relativize(source).toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(copy);
                } else {
                    Files.copy(source, copy, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        return target;
    }

    ModelFolderException loadFails(Path model) {
        return assertThrows(ModelFolderException.class, () -> {
            try (var ignored = StableDiffusionPipeline.load(model, OrtSettings.cpu())) {
                // must not get here
            }
        });
    }

    @Test
    void missingFolder() {
        assertTrue(loadFails(temp.resolve("nowhere")).getMessage().contains("does not exist"));
    }

    @Test
    void missingModelIndex() throws IOException {
        Path model = copyOf(ReferenceData.LAYOUT_FLOAT_TIMESTEP);
        Files.delete(model.resolve("model_index.json"));
        assertTrue(loadFails(model).getMessage().contains("model_index.json"));
    }

    @Test
    void missingUnet() throws IOException {
        Path model = copyOf(ReferenceData.LAYOUT_FLOAT_TIMESTEP);
        Files.delete(model.resolve("unet/model.onnx"));
        assertTrue(loadFails(model).getMessage().contains("unet/model.onnx"));
    }

    @Test
    void missingTokenizerFile() throws IOException {
        Path model = copyOf(ReferenceData.LAYOUT_FLOAT_TIMESTEP);
        Files.delete(model.resolve("tokenizer/merges.txt"));
        assertTrue(loadFails(model).getMessage().contains("merges.txt"));
    }

    @Test
    void invalidJsonConfig() throws IOException {
        Path model = copyOf(ReferenceData.LAYOUT_FLOAT_TIMESTEP);
        Files.writeString(model.resolve("vae_decoder/config.json"), "{ \"block_out_channels\": [16, ");
        String message = loadFails(model).getMessage();
        assertTrue(message.contains("vae_decoder") && message.contains("config.json"), message);
    }

    @Test
    void invalidSchedulerConfig() throws IOException {
        Path model = copyOf(ReferenceData.LAYOUT_FLOAT_TIMESTEP);
        Files.writeString(model.resolve("scheduler/scheduler_config.json"), "[1, 2]");
        assertTrue(loadFails(model).getMessage().contains("scheduler_config.json"));
    }

    @Test
    void corruptOnnxFile() throws IOException {
        Path model = copyOf(ReferenceData.LAYOUT_FLOAT_TIMESTEP);
        Files.writeString(model.resolve("vae_decoder/model.onnx"), "not a protobuf");
        assertTrue(loadFails(model).getMessage().contains("vae_decoder/model.onnx"));
    }

    @Test
    void missingExternalWeights() throws IOException {
        Path model = copyOf(ReferenceData.LAYOUT_INT64_EXTERNAL);
        Files.delete(model.resolve("unet/weights.pb"));
        String message = loadFails(model).getMessage();
        assertTrue(message.contains("unet/model.onnx") && message.contains("external data"), message);
    }

    @Test
    void configsDefineTheModelConstants() throws IOException {
        Path model = copyOf(ReferenceData.LAYOUT_FLOAT_TIMESTEP);
        // a VAE with one more block halves the latents once more: scale factor 16, sizes multiples of 128
        Files.writeString(model.resolve("vae_decoder/config.json"),
                "{\"block_out_channels\": [16, 16, 32, 32, 32], \"latent_channels\": 4, \"scaling_factor\": 0.5}");
        ModelFolder folder = ModelFolder.open(model);
        assertEquals(16, folder.vaeScaleFactor());
        assertEquals(128, folder.sizeMultiple());
        assertEquals(0.5, folder.vaeScalingFactor());
        assertEquals(128, folder.defaultImageSize());
    }

    @Test
    void cudaRequestFallsBackToCpuOnACpuBuild() {
        try (var pipeline = StableDiffusionPipeline.load(ReferenceData.LAYOUT_INT64_EXTERNAL,
                OrtSettings.cudaIfAvailable())) {
            if (ai.onnxruntime.OrtEnvironment.getAvailableProviders().contains(ai.onnxruntime.OrtProvider.CUDA)) {
                // a -Pgpu build on a machine with a GPU: CUDA or a logged fallback, both valid
                assertTrue(Set.of("CUDA", "CPU").contains(pipeline.info().executionProvider()));
            } else {
                assertEquals("CPU", pipeline.info().executionProvider());
            }
            assertEquals(1, pipeline.generate(GenerationRequest.of("x", 1, 7.5, 1), ProgressListener.NONE,
                    CancellationToken.NEVER).images().size());
        }
    }

    @Test
    void closeIsIdempotentAndLaterCallsFail() {
        var pipeline = StableDiffusionPipeline.load(ReferenceData.LAYOUT_FLOAT_TIMESTEP, OrtSettings.cpu());
        pipeline.close();
        pipeline.close();
        assertThrows(IllegalStateException.class, () -> pipeline.generate(GenerationRequest.of("x", 1, 7.5, 1),
                ProgressListener.NONE, CancellationToken.NEVER));
    }

    @Test
    void invalidOrtSettings() {
        assertThrows(IllegalArgumentException.class, () -> new OrtSettings(false, 0, "turbo", 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new OrtSettings(false, 0, "all", -1, 0));
    }
}
