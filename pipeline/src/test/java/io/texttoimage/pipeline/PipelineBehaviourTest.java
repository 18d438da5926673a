package io.texttoimage.pipeline;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Request validation, progress, cancellation, serialised runs and model info, on the tiny model (loaded once). */
class PipelineBehaviourTest {

    static StableDiffusionPipeline pipeline;

    @BeforeAll
    static void load() {
        pipeline = StableDiffusionPipeline.load(ReferenceData.LAYOUT_FLOAT_TIMESTEP, OrtSettings.cpu());
    }

    @AfterAll
    static void close() {
        if (pipeline != null) {
            pipeline.close();
        }
    }

    static GenerationRequest request(Integer width, Integer height, int steps, double guidance, String scheduler,
                                     int images) {
        return new GenerationRequest("a red cube", null, width, height, steps, guidance, scheduler, 7, images, null);
    }

    /**
     * After each step the listener hears the step's latents: the scheduler's predicted clean sample where it has one
     * (Euler's last prediction is its final latents: the last step goes to sigma 0), the current latents otherwise.
     */
    @Test
    void everyStepHandsItsLatentsToTheListenerAfterItsProgress() {
        for (String scheduler : List.of("euler", "pndm")) {
            List<String> calls = new ArrayList<>();
            List<io.texttoimage.pipeline.preview.StepLatents> seen = new ArrayList<>();
            ProgressListener listener = new ProgressListener() {
                @Override
                public void onStep(int step, int totalSteps, Duration elapsed) {
                    calls.add("step" + step);
                }

                @Override
                public void onLatents(int step, int totalSteps, io.texttoimage.pipeline.preview.StepLatents latents) {
                    calls.add("latents" + step + "/" + totalSteps);
                    seen.add(new io.texttoimage.pipeline.preview.StepLatents(latents.values().clone(),
                            latents.predicted(), latents.images(), latents.channels(), latents.height(),
                            latents.width()));
                }
            };
            RecordingTrace trace = new RecordingTrace();
            pipeline.generate(request(64, 128, 3, 7.5, scheduler, 2), listener, CancellationToken.NEVER, trace);
            int total = trace.latents.size();
            List<String> expected = new ArrayList<>();
            for (int step = 1; step <= total; step++) {
                expected.add("step" + step);
                expected.add("latents" + step + "/" + total);
            }
            assertEquals(expected, calls, scheduler);
            var last = seen.getLast();
            assertEquals(2, last.images());
            assertEquals(4, last.channels());
            assertEquals(16, last.height(), "latent rows of a 128-pixel-high image");
            assertEquals(8, last.width());
            if (scheduler.equals("euler")) {
                assertTrue(last.predicted(), "Euler has a pred_original_sample");
                assertArrayEquals(trace.latents.getLast(), last.values(), 1e-5f);
                assertFalse(java.util.Arrays.equals(trace.latents.getFirst(), seen.getFirst().values()),
                        "the first prediction is not the noisy latents");
            } else {
                assertFalse(last.predicted(), "PNDM has none: the current latents");
                for (int i = 0; i < total; i++) {
                    assertArrayEquals(trace.latents.get(i), seen.get(i).values(), 0f, "step " + (i + 1));
                }
            }
        }
    }

    @Test
    void modelInfoComesFromTheConfigs() {
        ModelInfo info = pipeline.info();
        assertEquals("model", info.name());
        assertEquals(64, info.defaultWidth(), "unet sample_size 8 × VAE scale factor 8");
        assertEquals(64, info.defaultHeight());
        assertEquals(8, info.vaeScaleFactor(), "2^(len(block_out_channels) - 1)");
        assertEquals(4, info.latentChannels());
        assertEquals(64, info.sizeMultiple());
        assertEquals("pndm", info.defaultScheduler());
        assertEquals("CPU", info.executionProvider());
    }

    @Test
    void defaultsFillWidthHeightAndScheduler() {
        GenerationResult result = pipeline.generate(GenerationRequest.of("a red cube", 2, 7.5, 11),
                ProgressListener.NONE, CancellationToken.NEVER);
        assertEquals("pndm", result.scheduler());
        assertEquals(11, result.seed());
        assertEquals(64, result.images().get(0).width());
        assertEquals(64, result.images().get(0).height());
        assertEquals(64 * 64 * 3, result.images().get(0).pixelsHwc().length);
    }

    @Test
    void rejectsSizesTheUnetCannotTake() {
        var error = assertThrows(InvalidRequestException.class, () -> pipeline.generate(
                request(100, 64, 2, 7.5, null, 1), ProgressListener.NONE, CancellationToken.NEVER));
        assertTrue(error.getMessage().contains("multiples of 64"), error.getMessage());
        assertThrows(InvalidRequestException.class, () -> pipeline.generate(
                request(64, 96, 2, 7.5, null, 1), ProgressListener.NONE, CancellationToken.NEVER));
        assertThrows(InvalidRequestException.class, () -> pipeline.generate(
                request(4096, 64, 2, 7.5, null, 1), ProgressListener.NONE, CancellationToken.NEVER));
    }

    @Test
    void checksWithoutRunning() {
        assertEquals(2, pipeline.check(request(128, 64, 2, 7.5, "unipc", 2)), "UniPC: one evaluation per step");
        assertEquals(3, pipeline.check(request(64, 64, 2, 7.5, "pndm", 1)), "PNDM repeats its second timestep");
        assertThrows(InvalidRequestException.class, () -> pipeline.check(request(128, 65, 2, 7.5, null, 1)));
        StableDiffusionPipeline.checkRequest(ReferenceData.LAYOUT_INT64_EXTERNAL, request(64, 64, 2, 7.5, "lms", 1));
        assertThrows(InvalidRequestException.class, () -> StableDiffusionPipeline.checkRequest(
                ReferenceData.LAYOUT_INT64_EXTERNAL, request(64, 64, 2, 7.5, "nope", 1)));
    }

    @Test
    void rejectsUnknownSchedulerNamingTheValidOnes() {
        var error = assertThrows(InvalidRequestException.class, () -> pipeline.generate(
                request(64, 64, 2, 7.5, "k_euler", 1), ProgressListener.NONE, CancellationToken.NEVER));
        assertTrue(error.getMessage().contains("euler-a") && error.getMessage().contains("dpmpp-2m-sde-karras"),
                error.getMessage());
    }

    /** An A1111 alias runs its scheduler; results and the PNG name it canonically and as A1111 does. */
    @Test
    void aliasesRunTheirSchedulerUnderItsCanonicalName() throws Exception {
        List<Integer> totals = new ArrayList<>();
        GenerationResult result = pipeline.generate(request(64, 64, 3, 7.5, "DPM2 a Karras", 1),
                (step, total, elapsed) -> totals.add(total), CancellationToken.NEVER);
        assertEquals("dpm2-a-karras", result.scheduler());
        assertEquals(List.of(5, 5, 5, 5, 5), totals, "a second-order scheduler: 2N - 1 evaluations for N = 3");
        String parameters = io.texttoimage.pipeline.io.PngImages.readTextChunks(
                result.images().get(0).png()).get("parameters");
        assertTrue(parameters.contains("Steps: 3, Sampler: DPM2 a Karras,"), parameters);
        assertEquals(5, pipeline.check(request(64, 64, 3, 7.5, "dpm2_a_karras", 1)));
    }

    /** A prompt over CLIP's 77 tokens: the pipeline says what it drops, and the PNG says so too. */
    @Test
    void aTruncatedPromptIsMeasuredAndNotedInThePng() throws Exception {
        String prompt = "a red cube on a blue floor, ".repeat(12) + "golden hour";
        GenerationRequest request = new GenerationRequest(prompt, "blurry", 64, 64, 1, 7.5, "ddim", 7, 1, null);
        PromptLengths lengths = pipeline.measurePrompts(request);
        assertTrue(lengths.truncated());
        assertTrue(lengths.prompt().droppedText().endsWith("golden hour"), lengths.prompt().droppedText());
        assertFalse(lengths.negativePrompt().truncated());
        assertEquals(3, lengths.negativePrompt().tokens());
        assertEquals(null, pipeline.measurePrompts(new GenerationRequest(prompt, "blurry", 64, 64, 1, 1.0, "ddim", 7,
                1, null)).negativePrompt(), "without guidance the negative prompt is not encoded");

        GenerationResult result = pipeline.generate(request, null, CancellationToken.NEVER);
        String parameters = io.texttoimage.pipeline.io.PngImages.readTextChunks(
                result.images().get(0).png()).get("parameters");
        assertTrue(parameters.startsWith(prompt + "\nNegative prompt: blurry\n"), "the prompts as asked: " + parameters);
        assertTrue(parameters.endsWith(", Prompt truncated: \"at 77 CLIP tokens (" + lengths.prompt().tokens()
                + " given), ignored: " + lengths.prompt().droppedText() + "\""), parameters);
    }

    @Test
    void rejectsInvalidNumbersBeforeAnyWork() {
        assertTrue(assertThrows(InvalidRequestException.class, () -> request(64, 64, 0, 7.5, null, 1))
                .getMessage().contains("Steps"));
        assertTrue(assertThrows(InvalidRequestException.class, () -> request(64, 64, 2, -1, null, 1))
                .getMessage().contains("Guidance"));
        assertThrows(InvalidRequestException.class, () -> request(64, 64, 2, Double.NaN, null, 1));
        assertThrows(InvalidRequestException.class, () -> request(64, 64, 2, 7.5, null, 0));
        assertThrows(InvalidRequestException.class, () -> request(64, 64, 2, 7.5, null, 5));
        assertThrows(InvalidRequestException.class, () -> request(-64, 64, 2, 7.5, null, 1));
        assertThrows(InvalidRequestException.class,
                () -> new GenerationRequest(null, null, null, null, 2, 7.5, null, 1, 1, null));
        var tooMany = assertThrows(InvalidRequestException.class, () -> pipeline.generate(
                request(64, 64, 1001, 7.5, null, 1), ProgressListener.NONE, CancellationToken.NEVER));
        assertTrue(tooMany.getMessage().contains("1000"), tooMany.getMessage());
    }

    @Test
    void rejectsLatentsOfTheWrongSize() {
        var request = new GenerationRequest("x", null, 64, 64, 2, 7.5, null, 1, 1, new float[4 * 8 * 7]);
        var error = assertThrows(InvalidRequestException.class,
                () -> pipeline.generate(request, ProgressListener.NONE, CancellationToken.NEVER));
        assertTrue(error.getMessage().contains("256"), error.getMessage());
    }

    @Test
    void reportsEveryUnetEvaluation() {
        List<Integer> steps = new ArrayList<>();
        List<Integer> totals = new ArrayList<>();
        List<Duration> times = new ArrayList<>();
        pipeline.generate(request(64, 64, 4, 7.5, "pndm", 1), (step, total, elapsed) -> {
            steps.add(step);
            totals.add(total);
            times.add(elapsed);
        }, CancellationToken.NEVER);
        assertEquals(List.of(1, 2, 3, 4, 5), steps, "PNDM: 4 steps are 5 UNet evaluations");
        assertTrue(totals.stream().allMatch(t -> t == 5));
        for (int i = 1; i < times.size(); i++) {
            assertTrue(times.get(i).compareTo(times.get(i - 1)) >= 0, "elapsed time grows");
        }
        OrtCallStats stats = pipeline.lastCallStats();
        assertEquals(5, stats.unetCalls());
        assertEquals(2, stats.textEncoderCalls(), "prompt and empty negative prompt");
        assertEquals(1, stats.vaeDecoderCalls());
        assertTrue(stats.insideOrt().compareTo(stats.wall()) <= 0);
    }

    @Test
    void noGuidanceMeansOneTextEncoderCallAndBatchOne() {
        pipeline.generate(new GenerationRequest("x", "ignored", 64, 64, 2, 1.0, "ddim", 1, 1, null),
                ProgressListener.NONE, CancellationToken.NEVER);
        assertEquals(1, pipeline.lastCallStats().textEncoderCalls());
    }

    @Test
    void cancellationStopsBetweenStepsAndThePipelineStaysUsable() {
        AtomicInteger reported = new AtomicInteger();
        var error = assertThrows(GenerationCancelledException.class, () -> pipeline.generate(
                request(64, 64, 10, 7.5, "ddim", 1), (step, total, elapsed) -> reported.set(step),
                () -> reported.get() >= 3));
        assertEquals(3, error.completedSteps());
        assertEquals(3, reported.get(), "no step runs after the token said stop");
        GenerationResult after = pipeline.generate(request(64, 64, 2, 7.5, "ddim", 1), ProgressListener.NONE,
                CancellationToken.NEVER);
        assertEquals(1, after.images().size());
    }

    @Test
    void cancellationStopsInsideAnOnnxRuntimeCall() {
        Thread caller = Thread.currentThread();
        // The generating thread never sees the request, so the check between steps cannot be what stops the run:
        // only the watcher polling during ONNX Runtime calls can, by terminating the call it interrupts.
        CancellationToken fromOtherThreadsOnly = () -> Thread.currentThread() != caller;
        var error = assertThrows(GenerationCancelledException.class, () -> pipeline.generate(
                request(256, 256, 50, 7.5, "ddim", 1), ProgressListener.NONE, fromOtherThreadsOnly));
        assertTrue(error.completedSteps() < 50, "stopped after " + error.completedSteps() + " of 50 steps");
        assertEquals(1, pipeline.generate(request(64, 64, 1, 7.5, "ddim", 1), ProgressListener.NONE,
                () -> false).images().size(), "usable after a terminated call");
    }

    @Test
    void sameSeedSameImagesAndOneDrawForTheBatch() {
        GenerationResult two = pipeline.generate(request(64, 64, 3, 7.5, "euler-a", 2), ProgressListener.NONE,
                CancellationToken.NEVER);
        GenerationResult again = pipeline.generate(request(64, 64, 3, 7.5, "euler-a", 2), ProgressListener.NONE,
                CancellationToken.NEVER);
        assertEquals(2, two.images().size());
        assertArrayEquals(two.images().get(1).png(), again.images().get(1).png(), "deterministic for a seed");
        assertFalse(java.util.Arrays.equals(two.images().get(0).pixelsHwc(), two.images().get(1).pixelsHwc()),
                "each image has its own part of the draw");
    }

    /**
     * Three runs started at once on one pipeline: each records its text encoding (the start of a run), every UNet
     * evaluation and every progress step into one shared log. Serialised runs leave each run's entries as one
     * contiguous block (no step of one run between the start and the end of another), and give identical images.
     */
    @Test
    void concurrentCallsAreSerialisedAndGiveTheSameResult() throws Exception {
        int runs = 3;
        int steps = 3;
        List<String> log = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService executor = Executors.newFixedThreadPool(runs);
        try {
            List<Future<byte[]>> futures = new ArrayList<>();
            for (int i = 0; i < runs; i++) {
                int run = i;
                PipelineTrace trace = new PipelineTrace() {
                    @Override
                    public void textEncoded(io.texttoimage.pipeline.tokenizer.TokenizedText cond, float[] condEmbedding,
                                            io.texttoimage.pipeline.tokenizer.TokenizedText uncond,
                                            float[] uncondEmbedding) {
                        log.add(run + ":start");
                    }

                    @Override
                    public void unetEvaluated(int index, float timestep, float[] sampleInput, float[] output) {
                        log.add(run + ":unet" + index);
                    }
                };
                ProgressListener listener = (step, totalSteps, elapsed) -> log.add(run + ":step" + step);
                futures.add(executor.submit(() -> {
                    go.await();
                    return pipeline.generate(request(64, 64, steps, 7.5, "dpmpp-2m", 1), listener,
                            CancellationToken.NEVER, trace).images().get(0).png();
                }));
            }
            go.countDown();
            byte[] first = futures.get(0).get();
            for (Future<byte[]> future : futures) {
                assertArrayEquals(first, future.get());
            }
        } finally {
            executor.shutdownNow();
        }

        List<String> entries = List.copyOf(log);
        assertEquals(runs * (1 + 2 * steps), entries.size(), "start, UNet evaluations and steps of every run: " + entries);
        // Collapse consecutive entries of the same run: serialised runs give each run exactly once.
        List<String> blocks = new ArrayList<>();
        for (String entry : entries) {
            String run = entry.substring(0, entry.indexOf(':'));
            if (blocks.isEmpty() || !blocks.getLast().equals(run)) {
                blocks.add(run);
            }
        }
        assertEquals(runs, blocks.size(), "the runs overlapped: " + entries);
        assertEquals(runs, new HashSet<>(blocks).size(), "the runs overlapped: " + entries);
        for (int start = 0; start < entries.size(); start += 1 + 2 * steps) {
            assertTrue(entries.get(start).endsWith(":start"), "a run begins with its text encoding: " + entries);
            assertTrue(entries.get(start + 2 * steps).endsWith(":step" + steps), "a run ends with its last step: "
                    + entries);
        }
    }
}
