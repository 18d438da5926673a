package io.texttoimage.pipeline.preview;

import io.texttoimage.pipeline.io.PngImages;

/**
 * A live preview of a running generation: SD 1.5 latents turned into RGB by a fixed linear map, one pixel per latent
 * position (64×64 for a 512×512 image), with no VAE and no extra model. It shows the composition and the rough colours
 * of where the run is heading; it is not the final image: colours are approximate, detail below 8×8 pixels does not
 * exist at this resolution, and the VAE's non-linear decoding (textures, edges, faces) is missing altogether.
 *
 * @param rgb width × height × 3 bytes, row-major, R G B
 */
public record LatentPreview(int width, int height, byte[] rgb) {

    /**
     * RGB contribution of each of the 4 latent channels (rows: channel; columns: R, G, B), applied to the scaled
     * latents the UNet sees. These are ComfyUI's "latent2rgb" factors for SD 1.5: {@code latent_rgb_factors} of class
     * {@code SD15} in comfy/latent_formats.py (https://github.com/comfyanonymous/ComfyUI/blob/master/comfy/latent_formats.py),
     * used by its latent_preview.py. AUTOMATIC1111's "Approx cheap" preview (modules/sd_vae_approx.py) is the same kind
     * of 4×3 linear map.
     */
    static final float[][] SD15_LATENT_RGB_FACTORS = {
            //  R        G        B
            {0.3512f, 0.2297f, 0.3227f},
            {0.3250f, 0.4974f, 0.2350f},
            {-0.2829f, 0.1762f, 0.2721f},
            {-0.2120f, -0.2616f, -0.7177f},
    };
    /** The only latent layout the factors are for: SD 1.5's VAE has 4 latent channels. */
    public static final int LATENT_CHANNELS = SD15_LATENT_RGB_FACTORS.length;

    /** Whether latents with this many channels can be previewed (SD 1.5 and its fine-tunes: 4). */
    public static boolean supports(int latentChannels) {
        return latentChannels == LATENT_CHANNELS;
    }

    /**
     * The preview of one image of a batch. As ComfyUI's {@code preview_to_image}: {@code rgb = latents · factors},
     * mapped from [-1, 1] to [0, 1], clamped, times 255 and truncated to a byte.
     *
     * @param image which image of the batch (0 for the first)
     */
    public static LatentPreview of(StepLatents latents, int image) {
        if (!supports(latents.channels())) {
            throw new IllegalArgumentException("latent previews need " + LATENT_CHANNELS + " latent channels, not "
                    + latents.channels());
        }
        if (image < 0 || image >= latents.images()) {
            throw new IllegalArgumentException("image " + image + " is not in a batch of " + latents.images());
        }
        int plane = latents.height() * latents.width();
        int base = image * LATENT_CHANNELS * plane;
        float[] values = latents.values();
        byte[] rgb = new byte[plane * 3];
        for (int p = 0; p < plane; p++) {
            float c0 = values[base + p];
            float c1 = values[base + plane + p];
            float c2 = values[base + 2 * plane + p];
            float c3 = values[base + 3 * plane + p];
            for (int colour = 0; colour < 3; colour++) {
                float linear = c0 * SD15_LATENT_RGB_FACTORS[0][colour] + c1 * SD15_LATENT_RGB_FACTORS[1][colour]
                        + c2 * SD15_LATENT_RGB_FACTORS[2][colour] + c3 * SD15_LATENT_RGB_FACTORS[3][colour];
                rgb[p * 3 + colour] = toByte(linear);
            }
        }
        return new LatentPreview(latents.width(), latents.height(), rgb);
    }

    /** [-1, 1] → 0..255; NaN (a diverged run) becomes 0 rather than an exception. */
    static byte toByte(float linear) {
        float unit = (linear + 1f) / 2f;
        float clamped = unit > 0f ? Math.min(unit, 1f) : 0f;
        return (byte) (int) (clamped * 255f);
    }

    /** The preview as a PNG without text chunks: lossless, 4–12 KiB at 64×64 (see docs/pipeline.md). */
    public byte[] png() {
        return PngImages.encodeRgb(rgb, width, height, null);
    }
}
