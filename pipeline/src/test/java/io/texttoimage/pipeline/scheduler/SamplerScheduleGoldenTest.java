package io.texttoimage.pipeline.scheduler;

import com.fasterxml.jackson.databind.JsonNode;
import io.texttoimage.pipeline.io.Npy;
import io.texttoimage.pipeline.io.NpyArray;
import io.texttoimage.pipeline.scheduler.SchedulerGoldenTest.GoldenCase;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The 13 schedulers of {@code sd-reference/cases-samplers} against diffusers 0.27.2: resolved config, timesteps,
 * sigmas, init noise sigma, order and the number of UNet evaluations, from the model's config and the case's
 * {@code from_config_overrides} alone. The whole denoising runs are compared in {@code SamplerCasesTest}.
 *
 * <p>Timesteps and sigmas must be identical to the float32 value the UNet and the scheduler see: diffusers keeps
 * some timesteps in float64 (Heun and LMS with Karras sigmas), but its UNet converts them to float32 before the time
 * embedding, so the float32 rounding of the golden value is what has to match.
 */
class SamplerScheduleGoldenTest {

    static List<GoldenCase> cases() throws IOException {
        return SchedulerGoldenTest.load(SchedulerGoldenTest.REFERENCE.resolve("cases-samplers"));
    }

    static Scheduler created(GoldenCase golden) {
        return Schedulers.create(golden.scheduler().get("name").asText(), SchedulerGoldenTest.modelConfig());
    }

    static Scheduler scheduled(GoldenCase golden) {
        Scheduler scheduler = created(golden);
        scheduler.setTimesteps(golden.json().get("num_inference_steps").asInt());
        return scheduler;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void resolvedConfigMatchesDiffusersFromConfig(GoldenCase golden) {
        JsonNode expected = golden.scheduler().get("config");
        // resolved after set_timesteps: DPM-Solver singlestep changes lower_order_final there
        Map<String, Object> resolved = scheduled(golden).config();
        for (Map.Entry<String, Object> entry : resolved.entrySet()) {
            JsonNode expectedValue = expected.get(entry.getKey());
            if (expectedValue == null) {
                fail("key " + entry.getKey() + " is not part of diffusers' resulting "
                        + golden.scheduler().get("class") + " config");
            }
            SchedulerGoldenTest.assertConfigValue(entry.getKey(), expectedValue, entry.getValue());
        }
        for (String key : List.of("beta_start", "beta_end", "beta_schedule", "num_train_timesteps", "prediction_type",
                "timestep_spacing", "use_karras_sigmas", "algorithm_type", "solver_order", "lower_order_final")) {
            assertTrue(!expected.has(key) || resolved.containsKey(key), key + " not resolved");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void timestepsMatch(GoldenCase golden) {
        float[] actual = scheduled(golden).timesteps();
        NpyArray expected = Npy.read(golden.file("timesteps"));
        assertEquals(golden.scheduler().get("num_unet_evaluations").asInt(), actual.length, "UNet evaluations");
        float[] expectedFloats = expected.floats();
        assertEquals(expectedFloats.length, actual.length, "timestep count");
        for (int i = 0; i < actual.length; i++) {
            assertEquals(expectedFloats[i], actual[i], 0f, "timestep " + i);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void sigmasMatch(GoldenCase golden) {
        float[] expected = Npy.read(golden.file("sigmas")).floats();
        float[] actual = SchedulerGoldenTest.sigmasOf(scheduled(golden));
        assertEquals(expected.length, actual.length, "sigma count");
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 0f, "sigma " + i);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void initNoiseSigmaAndOrderMatch(GoldenCase golden) {
        Scheduler scheduler = scheduled(golden);
        assertEquals((float) golden.scheduler().get("init_noise_sigma").asDouble(), scheduler.initNoiseSigma(), 0f,
                "init_noise_sigma");
        assertEquals(golden.scheduler().get("order").asInt(), scheduler.order(), "order");
        assertEquals(golden.scheduler().get("name").asText(), scheduler.name(), "name");
    }
}
