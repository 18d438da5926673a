package io.texttoimage.generator.service;

import io.texttoimage.generator.pipeline.CancellationToken;
import io.texttoimage.generator.pipeline.GenerationRequest;
import io.texttoimage.generator.pipeline.GenerationResult;
import io.texttoimage.generator.pipeline.ModelInfo;
import io.texttoimage.generator.pipeline.OrtSettings;
import io.texttoimage.generator.pipeline.ProgressListener;
import io.texttoimage.generator.pipeline.StableDiffusionPipeline;

import java.nio.file.Path;

/** The ONNX Runtime pipeline behind {@link ImageGenerator}. */
final class PipelineImageGenerator implements ImageGenerator {

    private final StableDiffusionPipeline pipeline;
    private final Path modelFolder;

    private PipelineImageGenerator(StableDiffusionPipeline pipeline, Path modelFolder) {
        this.pipeline = pipeline;
        this.modelFolder = modelFolder;
    }

    static ImageGenerator load(Path modelFolder, OrtSettings settings) {
        return new PipelineImageGenerator(StableDiffusionPipeline.load(modelFolder, settings), modelFolder);
    }

    @Override
    public void check(GenerationRequest request) {
        // Reads only the folder's small config files; the same checks generate() makes before its first step.
        StableDiffusionPipeline.checkRequest(modelFolder, request);
    }

    @Override
    public ModelInfo info() {
        return pipeline.info();
    }

    @Override
    public GenerationResult generate(GenerationRequest request, ProgressListener listener, CancellationToken cancel) {
        return pipeline.generate(request, listener, cancel);
    }

    @Override
    public void close() {
        pipeline.close();
    }
}
