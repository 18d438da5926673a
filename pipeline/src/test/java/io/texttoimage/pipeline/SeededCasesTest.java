package io.texttoimage.pipeline;

import io.texttoimage.pipeline.ReferenceData.Case;
import io.texttoimage.pipeline.io.PngImages;
import io.texttoimage.pipeline.io.RgbImage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.util.List;

import static io.texttoimage.pipeline.ReferenceData.maxAbsDiff;
import static io.texttoimage.pipeline.ReferenceData.relativeToMax;
import static io.texttoimage.pipeline.ReferenceData.slice;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code sd-reference/cases-seeded}: diffusers given only {@code torch.Generator().manual_seed(seed)}. The pipeline gets
 * the seed alone and must draw the same initial latents (bit for bit), the same Euler-ancestral noise per step, and one
 * [2, 4, h, w] draw for the batch of two. Layout 1 (float timesteps), tolerances as in {@link GoldenCasesTest}.
 */
class SeededCasesTest {

    static StableDiffusionPipeline pipeline;
    static final ErrorTable ERRORS = new ErrorTable("seeded", "initial latents", "final latents (rel)", "image",
            "PNG max levels", "PNG values off");

    @BeforeAll
    static void loadModel() {
        pipeline = StableDiffusionPipeline.load(ReferenceData.LAYOUT_FLOAT_TIMESTEP, OrtSettings.cpu());
    }

    @AfterAll
    static void closeModel() {
        ERRORS.print();
        if (pipeline != null) {
            pipeline.close();
        }
    }

    static List<Case> cases() {
        return ReferenceData.cases("cases-seeded");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void reproducesDiffusersFromTheSeedAlone(Case golden) throws Exception {
        RecordingTrace trace = new RecordingTrace();
        GenerationResult result = pipeline.generate(golden.request(null), ProgressListener.NONE,
                CancellationToken.NEVER, trace);

        float[] expectedInit = golden.floats("latents_init");
        double init = maxAbsDiff(expectedInit, trace.initialLatents);
        ERRORS.put(golden.id(), "initial latents", init);
        assertArrayEquals(expectedInit, trace.initialLatents, "initial latents drawn from the seed, bit for bit");

        float[] expectedFinal = golden.floats("latents_final");
        double finalRel = relativeToMax(expectedFinal, trace.latents.get(trace.latents.size() - 1));
        ERRORS.put(golden.id(), "final latents (rel)", finalRel);
        assertTrue(finalRel <= GoldenCasesTest.LATENTS_RTOL, "final latents differ by " + finalRel + " of max |x|");

        assertEquals(golden.numImages(), result.images().size());
        double worstImage = 0;
        double worstLevels = 0;
        double worstShare = 0;
        for (GeneratedImage image : result.images()) {
            String suffix = image.index() == 0 ? "" : "_" + image.index();
            double diff = maxAbsDiff(golden.floats("image" + suffix), image.pixelsHwc());
            RgbImage expectedPng = PngImages.decode(Files.readAllBytes(golden.file("image" + suffix + "_png")));
            double[] png = ReferenceData.uint8Difference(expectedPng.rgb(), PngImages.decode(image.png()).rgb());
            worstImage = Math.max(worstImage, diff);
            worstLevels = Math.max(worstLevels, png[0]);
            worstShare = Math.max(worstShare, png[1]);
        }
        ERRORS.put(golden.id(), "image", worstImage);
        ERRORS.put(golden.id(), "PNG max levels", worstLevels);
        ERRORS.put(golden.id(), "PNG values off", String.format(java.util.Locale.ROOT, "%.4f %%", 100 * worstShare));
        assertTrue(worstImage <= GoldenCasesTest.IMAGE_ATOL, "float image differs by " + worstImage);
        assertTrue(worstLevels <= 1, "PNG differs by " + worstLevels + " levels");
        // No share bound here: the README's "≤ 0.02 %" was measured on cases/ only; for these seeded runs it gives only
        // the suggested ±1 level (seed02 measures 0.024 %).
        if (golden.numImages() > 1) {
            // the two images come from different halves of one draw, so they must differ
            int perImage = trace.initialLatents.length / golden.numImages();
            assertTrue(maxAbsDiff(slice(trace.initialLatents, 0, perImage), slice(trace.initialLatents, 1, perImage)) > 0.1);
        }
    }
}
