package io.texttoimage.generator.service;

import io.texttoimage.pipeline.CancellationToken;
import io.texttoimage.pipeline.GenerationRequest;
import io.texttoimage.pipeline.GenerationResult;
import io.texttoimage.pipeline.ModelInfo;
import io.texttoimage.pipeline.OrtSettings;
import io.texttoimage.pipeline.ProgressListener;
import io.texttoimage.pipeline.PromptLengths;
import io.texttoimage.pipeline.StableDiffusionPipeline;

import java.nio.file.Path;
import java.util.List;

/** The ONNX Runtime pipeline behind {@link ImageGenerator}. */
final class PipelineImageGenerator implements ImageGenerator {

    private final StableDiffusionPipeline pipeline;

    private PipelineImageGenerator(StableDiffusionPipeline pipeline) {
        this.pipeline = pipeline;
    }

    static ImageGenerator load(Path modelFolder, OrtSettings settings) {
        return new PipelineImageGenerator(StableDiffusionPipeline.load(modelFolder, settings));
    }

    @Override
    public int check(GenerationRequest request) {
        // The same checks generate() makes before its first step, on the configs loaded with the model.
        return pipeline.check(request);
    }

    @Override
    public ModelInfo info() {
        return pipeline.info();
    }

    @Override
    public PromptLengths measurePrompts(GenerationRequest request) {
        return pipeline.measurePrompts(request);
    }

    @Override
    public GenerationResult generate(GenerationRequest request, ProgressListener listener, CancellationToken cancel) {
        return pipeline.generate(request, listener, cancel);
    }

    @Override
    public String loadSummary() {
        return pipeline.loadReport().summary();
    }

    @Override
    public boolean hasOptimisedGraphsToStore() {
        return pipeline.hasOptimisedGraphsToStore();
    }

    @Override
    public List<String> storeOptimisedGraphs() {
        return pipeline.storeOptimisedGraphs();
    }

    @Override
    public void close() {
        pipeline.close();
    }
}
