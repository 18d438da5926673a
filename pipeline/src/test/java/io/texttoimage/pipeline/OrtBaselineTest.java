package io.texttoimage.pipeline;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The benchmark's baseline runs the real sessions of the tiny model. */
class OrtBaselineTest {

    static StableDiffusionPipeline pipeline;

    @BeforeAll
    static void load() {
        pipeline = StableDiffusionPipeline.load(Path.of("../testdata/sd-reference/model"), OrtSettings.cpu());
    }

    @AfterAll
    static void close() {
        pipeline.close();
    }

    @Test
    void replaysTheCallsOfOneRequest() throws Exception {
        GenerationRequest request = GenerationRequest.of("a lighthouse", 2, 7.5, 42);
        Duration backToBack = OrtBaseline.replay(pipeline, request, 2);
        assertTrue(backToBack.toNanos() > 0, backToBack.toString());
    }

    @Test
    void timesEachUnetEvaluation() throws Exception {
        List<Duration> calls = OrtBaseline.unetEvaluations(pipeline, 64, 2, 3);
        assertEquals(3, calls.size());
        assertTrue(calls.stream().allMatch(call -> call.toNanos() > 0), calls.toString());
    }

    @Test
    void namesTheOnnxRuntimeVersion() {
        assertFalse(OrtBaseline.onnxRuntimeVersion().isBlank());
    }
}
