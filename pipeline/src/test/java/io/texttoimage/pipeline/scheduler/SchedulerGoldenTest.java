package io.texttoimage.pipeline.scheduler;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.texttoimage.pipeline.io.Npy;
import io.texttoimage.pipeline.io.NpyArray;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every scheduler against the diffusers 0.27.2 golden runs in {@code testdata/sd-reference}: resolved config,
 * timesteps, sigmas, init noise sigma, order, the first UNet input scaling and the first {@code step}.
 */
class SchedulerGoldenTest {

    static final Path REFERENCE = Path.of("../testdata/sd-reference");
    static final Path MODEL_SCHEDULER_CONFIG = REFERENCE.resolve("model/scheduler/scheduler_config.json");
    private static final ObjectMapper JSON = new ObjectMapper();

    record GoldenCase(Path dir, JsonNode json) {
        String id() {
            return json.get("id").asText();
        }

        JsonNode scheduler() {
            return json.get("scheduler");
        }

        Path file(String key) {
            return dir.resolve(json.get("files").get(key).asText());
        }

        boolean hasFile(String key) {
            return json.get("files").has(key) && Files.exists(file(key));
        }

        @Override
        public String toString() {
            return id() + " (" + scheduler().get("name").asText() + ")";
        }
    }

    static List<GoldenCase> cases() throws IOException {
        return load(REFERENCE.resolve("cases"));
    }

    static List<GoldenCase> allCases() throws IOException {
        List<GoldenCase> all = new ArrayList<>(cases());
        all.addAll(load(REFERENCE.resolve("cases-seeded")));
        return all;
    }

    static List<GoldenCase> load(Path dir) throws IOException {
        JsonNode root = JSON.readTree(dir.resolve("cases.json").toFile());
        List<GoldenCase> cases = new ArrayList<>();
        root.get("cases").forEach(node -> cases.add(new GoldenCase(dir, node)));
        return cases;
    }

    static SchedulerConfig modelConfig() {
        return SchedulerConfig.load(MODEL_SCHEDULER_CONFIG);
    }

    static Scheduler schedulerFor(GoldenCase golden) {
        Scheduler scheduler = Schedulers.create(golden.scheduler().get("name").asText(), modelConfig());
        scheduler.setTimesteps(golden.json().get("num_inference_steps").asInt());
        return scheduler;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("allCases")
    void resolvedConfigMatchesDiffusersFromConfig(GoldenCase golden) {
        Scheduler scheduler = Schedulers.create(golden.scheduler().get("name").asText(), modelConfig());
        JsonNode expected = golden.scheduler().get("config");
        Map<String, Object> resolved = scheduler.config();
        assertTrue(resolved.size() >= 8, "too few resolved keys: " + resolved);
        for (Map.Entry<String, Object> entry : resolved.entrySet()) {
            JsonNode expectedValue = expected.get(entry.getKey());
            if (expectedValue == null) {
                fail("key " + entry.getKey() + " is not part of diffusers' resulting " + golden.scheduler().get("class")
                        + " config");
            }
            assertConfigValue(entry.getKey(), expectedValue, entry.getValue());
        }
        // The keys that decide the schedule must be among those resolved.
        for (String key : List.of("beta_start", "beta_end", "beta_schedule", "num_train_timesteps", "timestep_spacing",
                "steps_offset", "prediction_type")) {
            assertTrue(resolved.containsKey(key), key + " not resolved");
        }
    }

    static void assertConfigValue(String key, JsonNode expected, Object actual) {
        if (expected.isNull()) {
            assertEquals(null, actual, key);
        } else if (expected.isBoolean()) {
            assertEquals(expected.asBoolean(), actual, key);
        } else if (expected.isNumber()) {
            assertEquals(expected.asDouble(), ((Number) actual).doubleValue(), 0.0, key);
        } else if (expected.isTextual() && actual instanceof Double number) {
            // non-finite numbers are written as strings in the golden JSON
            assertEquals(Double.parseDouble(expected.asText()), number, 0.0, key);
        } else if (expected.isTextual()) {
            assertEquals(expected.asText(), actual, key);
        } else if (expected.isArray()) {
            List<Double> expectedList = new ArrayList<>();
            expected.forEach(v -> expectedList.add(v.asDouble()));
            List<Double> actualList = new ArrayList<>();
            ((List<?>) actual).forEach(v -> actualList.add(((Number) v).doubleValue()));
            assertEquals(expectedList, actualList, key);
        } else {
            fail("unexpected golden value for " + key + ": " + expected);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void timestepsMatch(GoldenCase golden) {
        Scheduler scheduler = schedulerFor(golden);
        float[] actual = scheduler.timesteps();
        NpyArray expected = Npy.read(golden.file("timesteps"));
        assertEquals(golden.scheduler().get("num_unet_evaluations").asInt(), actual.length, "UNet evaluations");
        assertEquals(expected.size(), actual.length, "timestep count");
        assertEquals(golden.json().get("unet_step1_timestep").asDouble(), actual[0], 1e-4, "first timestep");
        if (golden.scheduler().get("timesteps_dtype").asText().startsWith("int")) {
            long[] ints = expected.longs();
            for (int i = 0; i < ints.length; i++) {
                assertEquals((float) ints[i], actual[i], 0f, "timestep " + i);
            }
        } else {
            // fractional float32 timesteps: within 1e-4 (they are computed with numpy's float64 linspace either way)
            assertArrayEquals(expected.floats(), actual, 1e-4f);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void sigmasMatch(GoldenCase golden) {
        Scheduler scheduler = schedulerFor(golden);
        boolean sigmaBased = !(scheduler instanceof PndmScheduler) && !(scheduler instanceof DdimScheduler);
        assertEquals(sigmaBased, golden.hasFile("sigmas"), "diffusers exposes sigmas exactly for the sigma-based ones");
        if (!sigmaBased) {
            return;
        }
        float[] expected = Npy.read(golden.file("sigmas")).floats();
        float[] actual = sigmasOf(scheduler);
        assertEquals(expected.length, actual.length, "sigma count");
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 1e-6 * Math.abs(expected[i]), "sigma " + i);
        }
    }

    static float[] sigmasOf(Scheduler scheduler) {
        if (scheduler instanceof DiscreteSigmaScheduler discrete) {
            return discrete.sigmas();
        }
        if (scheduler instanceof DpmSolverMultistepScheduler dpm) {
            return dpm.sigmas();
        }
        if (scheduler instanceof UniPcMultistepScheduler unipc) {
            return unipc.sigmas();
        }
        if (scheduler instanceof DpmSolverSinglestepScheduler singlestep) {
            return singlestep.sigmas();
        }
        if (scheduler instanceof DeisMultistepScheduler deis) {
            return deis.sigmas();
        }
        throw new AssertionError("no sigmas for " + scheduler.name());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void initNoiseSigmaAndOrderMatch(GoldenCase golden) {
        Scheduler scheduler = schedulerFor(golden);
        double expectedSigma = golden.scheduler().get("init_noise_sigma").asDouble();
        assertEquals(expectedSigma, scheduler.initNoiseSigma(), 1e-6 * expectedSigma, "init_noise_sigma");
        assertEquals(golden.scheduler().get("order").asInt(), scheduler.order(), "order");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void firstUnetInputIsScaledLikeDiffusers(GoldenCase golden) {
        Scheduler scheduler = schedulerFor(golden);
        float[] latents = initialLatents(golden, scheduler);
        float[] scaled = scheduler.scaleModelInput(latents, scheduler.timesteps()[0]);
        NpyArray unetInput = Npy.read(golden.file("unet_step1_sample"));
        float[] firstRow = Arrays.copyOf(unetInput.floats(), latents.length);
        assertArrayEquals(firstRow, scaled, 1e-6f);
        if (scheduler.initNoiseSigma() == 1f) {
            assertSame(latents, scaled, "a no-op scaling returns the same array");
        }
    }

    /**
     * Step 1 against {@code latents_step1.npy}. The UNet output of the first evaluation is the saved one, so only the
     * scheduler is under test. Tolerance: rtol 1e-5 of max|x|. The arithmetic is float32 throughout, as in torch; the
     * remaining differences come from last-bit choices in transcendental functions (log, exp, pow) and the reduction
     * order of the guidance combination, which are ~1e-7 relative; 1e-5 leaves a margin while still catching any
     * formula or coefficient mistake (those move results by 1e-3 or more).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void firstStepMatches(GoldenCase golden) {
        Scheduler scheduler = schedulerFor(golden);
        float[] latents = initialLatents(golden, scheduler);
        float t0 = scheduler.timesteps()[0];
        scheduler.scaleModelInput(latents, t0);
        float[] noisePrediction = guidedNoise(golden, latents.length);
        float[] actual = scheduler.step(noisePrediction, t0, latents, null);
        float[] expected = Npy.read(golden.file("latents_step1")).floats();
        assertClose(expected, actual, 1e-5, golden.id() + " step 1");
        assertFalse(Arrays.equals(latents, actual), "the step changed the latents");
    }

    static float[] initialLatents(GoldenCase golden, Scheduler scheduler) {
        float[] init = Npy.read(golden.file("latents_init")).floats();
        float sigma = scheduler.initNoiseSigma();
        float[] latents = new float[init.length];
        for (int i = 0; i < init.length; i++) {
            latents[i] = init[i] * sigma;
        }
        return latents;
    }

    /** The pipeline's classifier-free guidance on the saved UNet output (rows [uncond, cond]), float32 like torch. */
    static float[] guidedNoise(GoldenCase golden, int latentSize) {
        float[] out = Npy.read(golden.file("unet_step1_out_sample")).floats();
        double guidance = golden.json().get("guidance_scale").asDouble();
        if (guidance <= 1.0) {
            assertEquals(latentSize, out.length, "a single UNet row without guidance");
            return out;
        }
        assertEquals(2 * latentSize, out.length, "UNet rows [uncond, cond]");
        float g = (float) guidance;
        float[] guided = new float[latentSize];
        for (int i = 0; i < latentSize; i++) {
            float uncond = out[i];
            float cond = out[latentSize + i];
            guided[i] = uncond + g * (cond - uncond);
        }
        return guided;
    }

    static void assertClose(float[] expected, float[] actual, double relativeToMax, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        double max = 0;
        for (float v : expected) {
            max = Math.max(max, Math.abs(v));
        }
        double tolerance = relativeToMax * max;
        double worst = 0;
        int worstIndex = -1;
        for (int i = 0; i < expected.length; i++) {
            double diff = Math.abs((double) expected[i] - actual[i]);
            if (!(diff <= worst)) {
                worst = diff;
                worstIndex = i;
            }
        }
        if (!(worst <= tolerance)) {
            fail(what + ": max abs diff " + worst + " at " + worstIndex + " (expected " + expected[worstIndex]
                    + ", got " + actual[worstIndex] + ") exceeds " + tolerance);
        }
    }
}
