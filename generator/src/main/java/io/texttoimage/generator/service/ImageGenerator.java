package io.texttoimage.generator.service;

import io.texttoimage.pipeline.CancellationToken;
import io.texttoimage.pipeline.GenerationRequest;
import io.texttoimage.pipeline.GenerationResult;
import io.texttoimage.pipeline.ModelInfo;
import io.texttoimage.pipeline.ProgressListener;
import io.texttoimage.pipeline.PromptLengths;

import java.util.List;

/** What the worker needs from a loaded model: the pipeline's own API, as an interface the service can hold. */
public interface ImageGenerator extends AutoCloseable {

    ModelInfo info();

    /**
     * Rejects a request this model cannot run (size, scheduler, ...) without running it.
     *
     * @return the number of progress steps (UNet evaluations) the request will take
     */
    int check(GenerationRequest request);

    /** The request's prompts in tokens and what the text encoder's limit drops (see the pipeline's measurePrompts). */
    PromptLengths measurePrompts(GenerationRequest request);

    GenerationResult generate(GenerationRequest request, ProgressListener listener, CancellationToken cancel);

    /** How the model's sessions were created (per component, time and cache use), for the startup log line. */
    default String loadSummary() {
        return "";
    }

    /** Whether the model's optimised graphs are still to be stored in the graph cache (it lacked them at load). */
    default boolean hasOptimisedGraphsToStore() {
        return false;
    }

    /** Stores them (tens of seconds of CPU for a full-size model); returns the components stored. */
    default List<String> storeOptimisedGraphs() {
        return List.of();
    }

    @Override
    void close();
}
