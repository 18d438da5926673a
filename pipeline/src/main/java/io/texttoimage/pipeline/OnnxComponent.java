package io.texttoimage.pipeline;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensorLike;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One ONNX graph of the pipeline (text encoder, UNet or VAE decoder) with its session and the input and output
 * metadata read from it. Also accumulates the time spent inside {@code run}, which the benchmark compares with the
 * pipeline's wall time.
 */
final class OnnxComponent implements AutoCloseable {

    /** Name, element type and shape (-1 = dynamic) of one graph input or output. */
    record Port(String name, OnnxJavaType type, long[] shape) {
        int rank() {
            return shape.length;
        }

        /** The fixed size of dimension {@code index}, or -1 when the graph leaves it dynamic. */
        long fixedDim(int index) {
            return index < shape.length ? shape[index] : -1;
        }
    }

    private final String fileName;
    private final OrtSession session;
    private final Map<String, Port> inputs;
    private final Map<String, Port> outputs;
    private long runNanos;
    private int runCount;

    private OnnxComponent(String fileName, OrtSession session, Map<String, Port> inputs, Map<String, Port> outputs) {
        this.fileName = fileName;
        this.session = session;
        this.inputs = inputs;
        this.outputs = outputs;
    }

    /** Creates the session; a file ONNX Runtime cannot load becomes a {@link ModelFolderException} naming it. */
    static OnnxComponent load(OrtEnvironment env, Path file, String fileName, OrtSession.SessionOptions options) {
        OrtSession session;
        try {
            session = env.createSession(file.toString(), options);
        } catch (OrtException e) {
            throw new ModelFolderException("Cannot load " + fileName + " (is it a complete ONNX file, with its external "
                    + "data files beside it?): " + ModelFolder.firstLine(e.getMessage()), e);
        }
        try {
            return new OnnxComponent(fileName, session, ports(session.getInputInfo(), fileName),
                    ports(session.getOutputInfo(), fileName));
        } catch (OrtException | RuntimeException e) {
            closeQuietly(session);
            throw e instanceof ModelFolderException mfe ? mfe
                    : new ModelFolderException("Cannot read the inputs and outputs of " + fileName + ": "
                    + ModelFolder.firstLine(e.getMessage()), e);
        }
    }

    private static Map<String, Port> ports(Map<String, NodeInfo> infos, String fileName) {
        Map<String, Port> ports = new LinkedHashMap<>();
        for (NodeInfo node : infos.values()) {
            if (!(node.getInfo() instanceof TensorInfo tensor)) {
                throw new ModelFolderException(fileName + ": " + node.getName() + " is not a tensor.");
            }
            ports.put(node.getName(), new Port(node.getName(), tensor.type, tensor.getShape()));
        }
        return ports;
    }

    String fileName() {
        return fileName;
    }

    Map<String, Port> inputs() {
        return inputs;
    }

    Map<String, Port> outputs() {
        return outputs;
    }

    /**
     * Finds a port by its usual name, else the only one with the expected rank; a graph offering neither is not the
     * model we expect.
     */
    Port find(Map<String, Port> ports, String usualName, int... ranks) {
        Port named = ports.get(usualName);
        if (named != null) {
            return named;
        }
        Port match = null;
        for (Port port : ports.values()) {
            for (int rank : ranks) {
                if (port.rank() == rank) {
                    if (match != null) {
                        throw new ModelFolderException(fileName + " has no " + usualName
                                + " and several candidates for it (" + match.name() + ", " + port.name() + ").");
                    }
                    match = port;
                }
            }
        }
        if (match == null) {
            throw new ModelFolderException(fileName + " has no " + usualName + " " + (ports == inputs ? "input" : "output")
                    + "; it has " + ports.keySet() + ".");
        }
        return match;
    }

    /** Runs the graph writing into pre-allocated outputs; the time inside ONNX Runtime is accumulated. */
    void run(Map<String, ? extends OnnxTensorLike> feeds, Map<String, ? extends OnnxValue> pinnedOutputs,
             OrtSession.RunOptions options) throws OrtException {
        long start = System.nanoTime();
        try (OrtSession.Result ignored = options == null ? session.run(feeds, pinnedOutputs)
                : session.run(feeds, java.util.Set.of(), pinnedOutputs, options)) {
            // outputs were written into the pinned tensors; the result owns nothing else
        } finally {
            runNanos += System.nanoTime() - start;
            runCount++;
        }
    }

    /** Runs the graph and returns ONNX Runtime's own output values; the caller closes the result. */
    OrtSession.Result run(Map<String, ? extends OnnxTensorLike> feeds, OrtSession.RunOptions options)
            throws OrtException {
        long start = System.nanoTime();
        try {
            return options == null ? session.run(feeds) : session.run(feeds, options);
        } finally {
            runNanos += System.nanoTime() - start;
            runCount++;
        }
    }

    long runNanos() {
        return runNanos;
    }

    int runCount() {
        return runCount;
    }

    void resetCounters() {
        runNanos = 0;
        runCount = 0;
    }

    @Override
    public void close() {
        closeQuietly(session);
    }

    private static void closeQuietly(OrtSession session) {
        try {
            session.close();
        } catch (OrtException e) {
            System.getLogger(OnnxComponent.class.getName())
                    .log(System.Logger.Level.WARNING, "Closing an ONNX Runtime session failed", e);
        }
    }
}
