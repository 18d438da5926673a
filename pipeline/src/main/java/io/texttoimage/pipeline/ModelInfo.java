package io.texttoimage.pipeline;

/**
 * What a loaded model folder offers.
 *
 * @param name                 the model folder's name
 * @param defaultWidth         UNet sample_size × VAE scale factor (512 for SD 1.5)
 * @param defaultHeight        same as width for SD 1.5 style configs
 * @param defaultScheduler     scheduler name matching {@code scheduler_config.json}'s class
 * @param vaeScaleFactor       2^(len(vae.block_out_channels) - 1)
 * @param latentChannels       VAE latent channels (4)
 * @param sizeMultiple         width and height must be multiples of this (VAE factor × UNet downsampling)
 * @param executionProvider    {@code CUDA} or {@code CPU}, the provider the sessions actually use
 */
public record ModelInfo(String name, int defaultWidth, int defaultHeight, String defaultScheduler, int vaeScaleFactor,
                        int latentChannels, int sizeMultiple, String executionProvider) {
}
