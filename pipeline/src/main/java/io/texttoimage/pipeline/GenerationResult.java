package io.texttoimage.pipeline;

import java.time.Duration;
import java.util.List;

/** The images of one request, the wall time it took, and the seed and scheduler actually used. */
public record GenerationResult(List<GeneratedImage> images, Duration elapsed, long seed, String scheduler) {

    public GenerationResult {
        images = List.copyOf(images);
    }
}
