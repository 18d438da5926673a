package io.texttoimage.pipeline;

/**
 * One text-to-image request.
 *
 * @param prompt          the text to draw; may be empty, never null
 * @param negativePrompt  text for the unconditional branch of classifier-free guidance; null means ""; ignored when
 *                        {@code guidanceScale <= 1} (exactly as diffusers decides)
 * @param width           image width in pixels; null = the model's default
 * @param height          image height in pixels; null = the model's default
 * @param steps           number of inference steps (the scheduler may run more UNet evaluations, e.g. PNDM N+1)
 * @param guidanceScale   classifier-free guidance scale; CFG runs only when it is above 1
 * @param scheduler       scheduler name ({@code pndm}, {@code euler-a}, …); null = the model's default
 * @param seed            seed of the PyTorch-compatible CPU generator for the initial latents and ancestral noise
 * @param numImages       1 to {@value #MAX_IMAGES}
 * @param initialLatents  optional unscaled standard-normal starting latents, [numImages, C, height/f, width/f] in C
 *                        order; null = drawn from the seed
 */
public record GenerationRequest(String prompt, String negativePrompt, Integer width, Integer height, int steps,
                                double guidanceScale, String scheduler, long seed, int numImages,
                                float[] initialLatents) {

    public static final int MAX_IMAGES = 4;

    /** Checks everything that does not depend on the model; the pipeline checks the rest. */
    public GenerationRequest {
        if (prompt == null) {
            throw new InvalidRequestException("A prompt is required (it may be empty).");
        }
        if (steps < 1) {
            throw new InvalidRequestException("Steps must be at least 1, got " + steps + ".");
        }
        if (!Double.isFinite(guidanceScale) || guidanceScale < 0) {
            throw new InvalidRequestException("Guidance scale must be a number >= 0, got " + guidanceScale + ".");
        }
        if (numImages < 1 || numImages > MAX_IMAGES) {
            throw new InvalidRequestException(
                    "The number of images must be between 1 and " + MAX_IMAGES + ", got " + numImages + ".");
        }
        if (width != null && width <= 0) {
            throw new InvalidRequestException("Width must be positive, got " + width + ".");
        }
        if (height != null && height <= 0) {
            throw new InvalidRequestException("Height must be positive, got " + height + ".");
        }
        if (scheduler != null && scheduler.isBlank()) {
            scheduler = null;
        }
    }

    /** A request with the model's default size and scheduler, one image, latents drawn from the seed. */
    public static GenerationRequest of(String prompt, int steps, double guidanceScale, long seed) {
        return new GenerationRequest(prompt, null, null, null, steps, guidanceScale, null, seed, 1, null);
    }
}
