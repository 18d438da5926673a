package io.texttoimage.pipeline;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.texttoimage.pipeline.random.TorchGenerator;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The pipeline's ONNX Runtime calls without the pipeline around them: the baseline that {@code bin/benchmark-pipeline}
 * compares an end-to-end run with, to show what the Java side adds. It lives here, not with the benchmark, because it
 * drives the sessions directly, which only this package can.
 */
public final class OrtBaseline {

    private OrtBaseline() {
    }

    /** The version of the ONNX Runtime library the sessions run on. */
    public static String onnxRuntimeVersion() {
        return OrtSessionFactory.environment().getVersion();
    }

    /**
     * Makes the ONNX Runtime calls of one {@code generate(request)} back to back (text encoder, {@code unetCalls}
     * UNet evaluations, VAE decoder), with the same shapes and the inputs prepared up front, and returns their time.
     */
    public static Duration replay(StableDiffusionPipeline pipeline, GenerationRequest request, int unetCalls)
            throws OrtException {
        StableDiffusionPipeline.ResolvedRequest resolved = pipeline.resolve(request);
        boolean guidance = request.guidanceScale() > 1;
        TextEncoder text = pipeline.textEncoder();
        TextEncoder.Embedding embedding = text.encode(request.prompt());
        int[] ids = embedding.tokens().inputIds();
        OnnxComponent.Port idsPort = text.graph().find(text.graph().inputs(), "input_ids", 2);
        ModelFolder folder = pipeline.folder();
        int channels = folder.latentChannels();
        int h = resolved.latentHeight();
        int w = resolved.latentWidth();
        int batch = guidance ? 2 : 1;
        float[] latents = new TorchGenerator(1).randn(batch, channels, h, w);
        float[] hidden = new float[batch * embedding.values().length];
        for (int i = 0; i < batch; i++) {
            System.arraycopy(embedding.values(), 0, hidden, i * embedding.values().length, embedding.values().length);
        }
        try (BoundTensor idsIn = BoundTensor.allocate(OrtSessionFactory.environment(), idsPort.type(), 1, ids.length);
             UnetModel.Bindings unet = pipeline.unet().bind(batch, channels, h, w, embedding.sequenceLength(),
                     embedding.hiddenSize());
             VaeDecoder.Bindings vae = pipeline.vae().bind(channels, h, w, folder.vaeScaleFactor())) {
            idsIn.putInts(ids);
            unet.sampleIn.putFloats(latents);
            unet.hiddenIn.putFloats(hidden);
            vae.latentIn.putFloats(Arrays.copyOf(latents, channels * h * w));
            long start = System.nanoTime();
            for (int i = 0; i < batch; i++) {
                try (OrtSession.Result ignored = text.graph().run(Map.of(idsPort.name(), idsIn.tensor()), null)) {
                    // output discarded: only the call's time matters here
                }
            }
            for (int i = 0; i < unetCalls; i++) {
                unet.run(999 - i * 250);
            }
            for (int i = 0; i < request.numImages(); i++) {
                vae.run();
            }
            return Duration.ofNanos(System.nanoTime() - start);
        }
    }

    /**
     * Times {@code calls} UNet evaluations at {@code size}×{@code size} pixels and batch {@code batch}; the first call at a
     * new shape also plans and allocates, the later ones are the steady-state cost.
     */
    public static List<Duration> unetEvaluations(StableDiffusionPipeline pipeline, int size, int batch, int calls)
            throws OrtException {
        TextEncoder.Embedding embedding = pipeline.textEncoder().encode("a photograph of an astronaut riding a horse");
        int latent = size / pipeline.folder().vaeScaleFactor();
        int channels = pipeline.folder().latentChannels();
        try (UnetModel.Bindings unet = pipeline.unet().bind(batch, channels, latent, latent, embedding.sequenceLength(),
                embedding.hiddenSize())) {
            unet.sampleIn.putFloats(new TorchGenerator(2).randn(batch, channels, latent, latent));
            for (int i = 0; i < batch; i++) {
                unet.hiddenIn.putFloats(i * embedding.values().length, embedding.values(), 0, embedding.values().length);
            }
            List<Duration> durations = new ArrayList<>();
            for (int call = 0; call < calls; call++) {
                long start = System.nanoTime();
                unet.run(500);
                durations.add(Duration.ofNanos(System.nanoTime() - start));
            }
            return durations;
        }
    }
}
