package io.texttoimage.pipeline.scheduler;

import io.texttoimage.pipeline.random.NoiseSource;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Names, config handling, errors and properties that hold for any input. */
class SchedulerBehaviourTest {

    private static final String SD15_CONFIG = """
            {
              "_class_name": "PNDMScheduler",
              "_diffusers_version": "0.6.0",
              "beta_end": 0.012,
              "beta_schedule": "scaled_linear",
              "beta_start": 0.00085,
              "num_train_timesteps": 1000,
              "set_alpha_to_one": false,
              "skip_prk_steps": true,
              "steps_offset": 1,
              "trained_betas": null,
              "clip_sample": false
            }""";

    private static SchedulerConfig sd15() {
        return SchedulerConfig.parse(SD15_CONFIG);
    }

    @Test
    void unknownNameListsTheValidOnes() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> Schedulers.create("k_euler", sd15()));
        for (String name : Schedulers.NAMES) {
            assertTrue(error.getMessage().contains(name), error.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> Schedulers.create(null, sd15()));
    }

    @Test
    void namesAreCaseInsensitiveAndAcceptUnderscores() {
        assertEquals("dpmpp-2m-karras", Schedulers.create("DPMPP_2M_Karras", sd15()).name());
        assertEquals("euler-a", Schedulers.canonicalName("euler_a"));
        assertTrue(Schedulers.isValidName("UniPC"));
        assertTrue(!Schedulers.isValidName("dpm++"));
    }

    @Test
    void stepsBelowOneAreRejected() {
        for (String name : Schedulers.NAMES) {
            Scheduler scheduler = Schedulers.create(name, sd15());
            assertThrows(IllegalArgumentException.class, () -> scheduler.setTimesteps(0), name);
            assertThrows(IllegalArgumentException.class, () -> scheduler.setTimesteps(-3), name);
            assertThrows(IllegalArgumentException.class, () -> scheduler.setTimesteps(1001), name);
        }
    }

    @Test
    void usingASchedulerBeforeSetTimestepsFails() {
        Scheduler scheduler = Schedulers.create("euler", sd15());
        assertThrows(IllegalStateException.class, scheduler::timesteps);
    }

    @Test
    void defaultNameFollowsTheModelsClass() {
        assertEquals("pndm", Schedulers.defaultName(sd15()));
        assertEquals("dpmpp-2m-karras", Schedulers.defaultName(SchedulerConfig.parse(
                "{\"_class_name\": \"DPMSolverMultistepScheduler\", \"use_karras_sigmas\": true}")));
        assertEquals("euler-a", Schedulers.defaultName(SchedulerConfig.parse(
                "{\"_class_name\": \"EulerAncestralDiscreteScheduler\"}")));
        assertEquals("heun-karras", Schedulers.defaultName(SchedulerConfig.parse(
                "{\"_class_name\": \"HeunDiscreteScheduler\", \"use_karras_sigmas\": true}")));
        assertEquals("dpm2-a", Schedulers.defaultName(SchedulerConfig.parse(
                "{\"_class_name\": \"KDPM2AncestralDiscreteScheduler\"}")));
        assertEquals("dpmpp-2m-sde-karras", Schedulers.defaultName(SchedulerConfig.parse(
                "{\"_class_name\": \"DPMSolverMultistepScheduler\", \"algorithm_type\": \"sde-dpmsolver++\", "
                        + "\"use_karras_sigmas\": true}")));
        assertEquals("deis", Schedulers.defaultName(SchedulerConfig.parse("{\"_class_name\": \"DEISMultistepScheduler\"}")));
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> Schedulers.defaultName(SchedulerConfig.parse("{\"_class_name\": \"DDPMScheduler\"}")));
        assertTrue(error.getMessage().contains("DDPMScheduler"), error.getMessage());
    }

    @Test
    void defaultedKeysAreNotInheritedByAnotherClass() {
        // A saved PNDM config records its defaulted timestep_spacing; Euler must still use its own "linspace".
        SchedulerConfig saved = SchedulerConfig.parse("""
                {"_class_name": "PNDMScheduler", "beta_schedule": "scaled_linear", "beta_start": 0.00085,
                 "beta_end": 0.012, "steps_offset": 1, "skip_prk_steps": true,
                 "timestep_spacing": "leading", "prediction_type": "epsilon",
                 "_use_default_values": ["timestep_spacing", "prediction_type"]}""");
        assertTrue(!saved.isSet("timestep_spacing"));
        Scheduler euler = Schedulers.create("euler", saved);
        assertEquals("linspace", euler.config().get("timestep_spacing"));
        Scheduler pndm = Schedulers.create("pndm", saved);
        assertEquals("leading", pndm.config().get("timestep_spacing"));

        // The same key set explicitly is kept.
        Scheduler explicitLeading = Schedulers.create("euler", sd15().with("timestep_spacing", "leading"));
        explicitLeading.setTimesteps(10);
        assertEquals(901f, explicitLeading.timesteps()[0]);
    }

    @Test
    void nonFiniteStringsAreNumbers() {
        SchedulerConfig config = SchedulerConfig.parse("{\"lambda_min_clipped\": \"-Infinity\"}");
        assertEquals(Double.NEGATIVE_INFINITY, config.getDouble("lambda_min_clipped", 0));
        Map<String, Object> resolved = Schedulers.create("dpmpp-2m", sd15()).config();
        assertEquals(Double.NEGATIVE_INFINITY, resolved.get("lambda_min_clipped"));
    }

    @Test
    void invalidConfigValuesAreReportedByKey() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> Schedulers.create("ddim", sd15().with("timestep_spacing", "sideways")));
        assertTrue(error.getMessage().contains("timestep_spacing"), error.getMessage());
        error = assertThrows(IllegalArgumentException.class,
                () -> Schedulers.create("pndm", sd15().with("beta_schedule", "exotic")));
        assertTrue(error.getMessage().contains("exotic"), error.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SchedulerConfig.parse("[1, 2]"));
    }

    @Test
    void pndmRepeatsTheSecondTimestep() {
        Scheduler pndm = Schedulers.create("pndm", sd15());
        pndm.setTimesteps(2);
        assertArrayEquals(new float[] {501, 1, 1}, pndm.timesteps());
        pndm.setTimesteps(4);
        assertArrayEquals(new float[] {751, 501, 501, 251, 1}, pndm.timesteps());
    }

    @Test
    void spacingsFollowDiffusers() {
        Scheduler ddim = Schedulers.create("ddim", sd15().with("timestep_spacing", "trailing"));
        ddim.setTimesteps(4);
        assertArrayEquals(new float[] {999, 749, 499, 249}, ddim.timesteps());
        ddim = Schedulers.create("ddim", sd15().with("timestep_spacing", "linspace"));
        ddim.setTimesteps(4);
        assertArrayEquals(new float[] {999, 666, 333, 0}, ddim.timesteps());
    }

    /** The LMS coefficients integrate Lagrange basis polynomials, which sum to 1: the coefficients sum to dsigma. */
    @Test
    void lmsCoefficientsSumToTheSigmaInterval() {
        LmsScheduler lms = (LmsScheduler) Schedulers.create("lms", sd15());
        lms.setTimesteps(25);
        float[] sigmas = lms.sigmas();
        for (int t = 0; t < 25; t++) {
            int order = Math.min(t + 1, LmsScheduler.LMS_ORDER);
            double sum = 0;
            for (int j = 0; j < order; j++) {
                sum += lms.lmsCoefficient(order, t, j);
            }
            assertEquals((double) sigmas[t + 1] - sigmas[t], sum, 1e-12, "step " + t);
        }
        // Order 1 is the Euler step: the single coefficient is exactly sigma_{t+1} - sigma_t.
        assertEquals((double) sigmas[1] - sigmas[0], lms.lmsCoefficient(1, 0, 0), 1e-12);
    }

    @Test
    void eulerAncestralDrawsOneSampleSizedTensorPerStep() {
        Scheduler scheduler = Schedulers.create("euler-a", sd15());
        scheduler.setTimesteps(3);
        int[] draws = {0};
        NoiseSource zeros = shape -> {
            draws[0]++;
            assertEquals(1, shape.length);
            assertEquals(32L, shape[0]);
            return new float[32];
        };
        NoiseSource ones = shape -> {
            float[] n = new float[(int) shape[0]];
            java.util.Arrays.fill(n, 1f);
            return n;
        };
        float[] sample = new float[32];
        float[] output = new float[32];
        java.util.Arrays.fill(sample, 2f);
        java.util.Arrays.fill(output, 0.5f);
        Scheduler twin = Schedulers.create("euler-a", sd15());
        twin.setTimesteps(3);
        float[] timesteps = scheduler.timesteps();
        for (int i = 0; i < timesteps.length; i++) {
            float[] a = scheduler.step(output, timesteps[i], sample, zeros);
            float[] b = twin.step(output, timesteps[i], sample, ones);
            if (i < timesteps.length - 1) {
                assertNotEquals(a[0], b[0], "noise enters before the last step");
            } else {
                assertEquals(a[0], b[0], "sigma_up is 0 on the last step (sigma_to = 0)");
            }
        }
        assertEquals(3, draws[0]);
        assertThrows(IllegalArgumentException.class, () -> {
            Scheduler s = Schedulers.create("euler-a", sd15());
            s.setTimesteps(2);
            s.step(output, s.timesteps()[0], sample, null);
        });
    }

    @Test
    void runningPastTheLastStepFails() {
        Scheduler scheduler = Schedulers.create("euler", sd15());
        scheduler.setTimesteps(1);
        float[] x = new float[4];
        scheduler.step(x, scheduler.timesteps()[0], x, null);
        assertThrows(IllegalStateException.class, () -> scheduler.step(x, 0f, x, null));
    }
}
