package io.texttoimage.pipeline;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.texttoimage.pipeline.tokenizer.ClipTokenizer;
import io.texttoimage.pipeline.tokenizer.TokenizedText;

import java.util.Map;

/** CLIP tokenizer plus the text encoder graph: text in, {@code last_hidden_state} [1, 77, hidden] out. */
final class TextEncoder implements AutoCloseable {

    /** The encoder output of one text: {@code sequenceLength × hiddenSize} floats. */
    record Embedding(TokenizedText tokens, float[] values, int sequenceLength, int hiddenSize) {
    }

    private final OrtEnvironment env;
    private final ClipTokenizer tokenizer;
    private final OnnxComponent graph;
    private final OnnxComponent.Port inputIds;
    private final OnnxComponent.Port hiddenState;

    TextEncoder(OrtEnvironment env, ClipTokenizer tokenizer, OnnxComponent graph) {
        this.env = env;
        this.tokenizer = tokenizer;
        this.graph = graph;
        this.inputIds = graph.find(graph.inputs(), "input_ids", 2);
        this.hiddenState = graph.find(graph.outputs(), "last_hidden_state", 3);
        if (inputIds.type() != ai.onnxruntime.OnnxJavaType.INT32 && inputIds.type() != ai.onnxruntime.OnnxJavaType.INT64) {
            throw new ModelFolderException(graph.fileName() + ": input_ids must be int32 or int64, not " + inputIds.type());
        }
        if (!BoundTensor.isFloatingPoint(hiddenState.type())) {
            throw new ModelFolderException(graph.fileName() + ": " + hiddenState.name() + " must be float32 or float16.");
        }
    }

    ClipTokenizer tokenizer() {
        return tokenizer;
    }

    OnnxComponent graph() {
        return graph;
    }

    Embedding encode(String text) throws OrtException {
        return encode(text, null);
    }

    /** Tokenises and encodes {@code text}; {@code options} (may be null) lets a cancellation stop the call. */
    Embedding encode(String text, OrtSession.RunOptions options) throws OrtException {
        TokenizedText tokens = tokenizer.encode(text);
        int[] ids = tokens.inputIds();
        try (BoundTensor input = BoundTensor.allocate(env, inputIds.type(), 1, ids.length)) {
            input.putInts(ids);
            try (OrtSession.Result result = graph.run(Map.of(inputIds.name(), input.tensor()), options)) {
                OnnxValue value = result.get(hiddenState.name())
                        .orElseThrow(() -> new IllegalStateException(graph.fileName() + " returned no " + hiddenState.name()));
                OnnxTensor tensor = (OnnxTensor) value;
                long[] shape = tensor.getInfo().getShape();
                float[] values = new float[Math.toIntExact(shape[1] * shape[2])];
                tensor.getFloatBuffer().get(values);
                return new Embedding(tokens, values, (int) shape[1], (int) shape[2]);
            }
        }
    }

    @Override
    public void close() {
        graph.close();
    }
}
