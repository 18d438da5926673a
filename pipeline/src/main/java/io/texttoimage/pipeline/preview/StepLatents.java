package io.texttoimage.pipeline.preview;

/**
 * The latents one denoising step leaves, as the pipeline hands them to {@link
 * io.texttoimage.pipeline.ProgressListener#onLatents}: the scheduler's predicted clean sample where it has one, else
 * the current (still noisy) latents. Shared with the pipeline, not copied: read during the call, never modify.
 *
 * @param values    [images, channels, height, width], C order, in the scaled latent space the UNet works in (the
 *                  VAE decodes {@code values / scaling_factor})
 * @param predicted whether {@code values} is the scheduler's {@code pred_original_sample} (false: current latents)
 */
public record StepLatents(float[] values, boolean predicted, int images, int channels, int height, int width) {

    public StepLatents {
        if ((long) images * channels * height * width != values.length) {
            throw new IllegalArgumentException(values.length + " latent values do not make " + images + "x" + channels
                    + "x" + height + "x" + width);
        }
    }
}
