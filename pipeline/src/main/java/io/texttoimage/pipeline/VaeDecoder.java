package io.texttoimage.pipeline;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;

import java.util.Map;

/** The VAE decoder graph: {@code latent_sample} [1, C, h, w] in, {@code sample} [1, 3, H, W] roughly in [-1, 1] out. */
final class VaeDecoder implements AutoCloseable {

    private final OrtEnvironment env;
    private final OnnxComponent graph;
    private final OnnxComponent.Port latents;
    private final OnnxComponent.Port image;

    VaeDecoder(OrtEnvironment env, OnnxComponent graph) {
        this.env = env;
        this.graph = graph;
        this.latents = graph.find(graph.inputs(), "latent_sample", 4);
        this.image = graph.find(graph.outputs(), "sample", 4);
        if (!BoundTensor.isFloatingPoint(latents.type()) || !BoundTensor.isFloatingPoint(image.type())) {
            throw new ModelFolderException(graph.fileName() + ": inputs and outputs must be float32 or float16.");
        }
    }

    OnnxComponent graph() {
        return graph;
    }

    int outputChannels() {
        long fixed = image.fixedDim(1);
        return fixed > 0 ? (int) fixed : 3;
    }

    /** Buffers for decoding one image at a time, reused for every image of a request. */
    final class Bindings implements AutoCloseable {
        final BoundTensor latentIn;
        final BoundTensor imageOut;
        private final Map<String, ai.onnxruntime.OnnxTensor> feeds;
        private final Map<String, ai.onnxruntime.OnnxTensor> pinned;

        private Bindings(int channels, int latentHeight, int latentWidth, int scale) throws OrtException {
            latentIn = BoundTensor.allocate(env, latents.type(), 1, channels, latentHeight, latentWidth);
            try {
                imageOut = BoundTensor.allocate(env, image.type(), 1, outputChannels(), (long) latentHeight * scale,
                        (long) latentWidth * scale);
            } catch (OrtException | RuntimeException e) {
                latentIn.close();
                throw e;
            }
            feeds = Map.of(latents.name(), latentIn.tensor());
            pinned = Map.of(image.name(), imageOut.tensor());
        }

        void run() throws OrtException {
            run(null);
        }

        void run(ai.onnxruntime.OrtSession.RunOptions options) throws OrtException {
            graph.run(feeds, pinned, options);
        }

        @Override
        public void close() {
            latentIn.close();
            imageOut.close();
        }
    }

    Bindings bind(int channels, int latentHeight, int latentWidth, int scale) throws OrtException {
        return new Bindings(channels, latentHeight, latentWidth, scale);
    }

    @Override
    public void close() {
        graph.close();
    }
}
