package io.texttoimage.pipeline;

/** Thrown by {@link StableDiffusionPipeline#generate} when its {@link CancellationToken} asked it to stop. */
public class GenerationCancelledException extends RuntimeException {

    private final int completedSteps;

    public GenerationCancelledException(int completedSteps, int totalSteps) {
        super("Generation cancelled after " + completedSteps + " of " + totalSteps + " steps.");
        this.completedSteps = completedSteps;
    }

    public int completedSteps() {
        return completedSteps;
    }
}
