package io.texttoimage.pipeline;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;

import java.util.Map;

/**
 * The UNet graph: {@code sample} [B, C, h, w], {@code timestep} (float or int64, shape [1] or scalar) and
 * {@code encoder_hidden_states} [B, 77, hidden] in; the noise prediction out.
 */
final class UnetModel implements AutoCloseable {

    private final OrtEnvironment env;
    private final OnnxComponent graph;
    private final OnnxComponent.Port sample;
    private final OnnxComponent.Port timestep;
    private final OnnxComponent.Port hiddenStates;
    private final OnnxComponent.Port output;

    UnetModel(OrtEnvironment env, OnnxComponent graph) {
        this.env = env;
        this.graph = graph;
        this.sample = graph.find(graph.inputs(), "sample", 4);
        this.timestep = graph.find(graph.inputs(), "timestep", 0, 1);
        this.hiddenStates = graph.find(graph.inputs(), "encoder_hidden_states", 3);
        this.output = graph.find(graph.outputs(), "out_sample", 4);
        for (OnnxComponent.Port port : new OnnxComponent.Port[] {sample, hiddenStates, output}) {
            if (!BoundTensor.isFloatingPoint(port.type())) {
                throw new ModelFolderException(graph.fileName() + ": " + port.name() + " must be float32 or float16, not "
                        + port.type() + ".");
            }
        }
        OnnxJavaType t = timestep.type();
        if (t != OnnxJavaType.FLOAT && t != OnnxJavaType.FLOAT16 && t != OnnxJavaType.INT64 && t != OnnxJavaType.INT32) {
            throw new ModelFolderException(graph.fileName() + ": timestep must be float or integer, not " + t + ".");
        }
    }

    OnnxComponent graph() {
        return graph;
    }

    /** Element type of {@code timestep}; integer types truncate fractional timesteps as diffusers' ONNX pipeline does. */
    OnnxJavaType timestepType() {
        return timestep.type();
    }

    /** Null when the graph accepts this batch and latent size, else a phrase saying why not (static-shape exports). */
    String rejectShape(int batch, int channels, int latentHeight, int latentWidth) {
        long[] expected = {batch, channels, latentHeight, latentWidth};
        String[] names = {"batch size ", "channel count ", "latent height ", "latent width "};
        for (int dim = 0; dim < 4; dim++) {
            long fixed = sample.fixedDim(dim);
            if (fixed > 0 && fixed != expected[dim]) {
                return "this UNet was exported with a fixed " + names[dim] + fixed + " (" + sample.name()
                        + " dimension " + dim + "), but the request needs " + expected[dim];
            }
        }
        return null;
    }

    /** Buffers for one run shape, reused by every denoising step of the run. */
    final class Bindings implements AutoCloseable {
        final BoundTensor sampleIn;
        final BoundTensor timestepIn;
        final BoundTensor hiddenIn;
        final BoundTensor noiseOut;
        private final Map<String, ai.onnxruntime.OnnxTensor> feeds;
        private final Map<String, ai.onnxruntime.OnnxTensor> pinned;

        private Bindings(int batch, int channels, int height, int width, int sequence, int hidden) throws OrtException {
            BoundTensor s = null, t = null, e = null, o = null;
            try {
                s = BoundTensor.allocate(env, sample.type(), batch, channels, height, width);
                t = BoundTensor.allocate(env, timestep.type(), timestepShape());
                e = BoundTensor.allocate(env, hiddenStates.type(), batch, sequence, hidden);
                o = BoundTensor.allocate(env, output.type(), batch, channels, height, width);
            } catch (OrtException | RuntimeException ex) {
                for (BoundTensor b : new BoundTensor[] {s, t, e, o}) {
                    if (b != null) {
                        b.close();
                    }
                }
                throw ex;
            }
            sampleIn = s;
            timestepIn = t;
            hiddenIn = e;
            noiseOut = o;
            feeds = Map.of(sample.name(), s.tensor(), timestep.name(), t.tensor(), hiddenStates.name(), e.tensor());
            pinned = Map.of(output.name(), o.tensor());
        }

        /** Feeds {@code t} as the graph's type, like {@code np.array([t], dtype)}, and runs the UNet once. */
        void run(float t) throws OrtException {
            run(t, null);
        }

        void run(float t, ai.onnxruntime.OrtSession.RunOptions options) throws OrtException {
            timestepIn.fill(t);
            graph.run(feeds, pinned, options);
        }

        @Override
        public void close() {
            sampleIn.close();
            timestepIn.close();
            hiddenIn.close();
            noiseOut.close();
        }
    }

    Bindings bind(int batch, int channels, int height, int width, int sequence, int hidden) throws OrtException {
        return new Bindings(batch, channels, height, width, sequence, hidden);
    }

    private long[] timestepShape() {
        if (timestep.rank() == 0) {
            return new long[0];
        }
        long fixed = timestep.fixedDim(0);
        return new long[] {fixed > 0 ? fixed : 1};
    }

    @Override
    public void close() {
        graph.close();
    }
}
