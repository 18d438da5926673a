package io.texttoimage.pipeline.scheduler;

import io.texttoimage.contracts.SchedulerNames;
import io.texttoimage.pipeline.random.NoiseSource;
import io.texttoimage.pipeline.random.TorchGenerator;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Properties of the schedulers added for issue 15 that hold for any input: evaluation counts of the second-order
 * samplers, who draws noise and how often, DPM-Solver singlestep's own lower_order_final switch, and the float32 log
 * numpy computes (which the Karras timesteps depend on).
 */
class SamplerBehaviourTest {

    private static final Set<String> SECOND_ORDER = Set.of("heun", "heun-karras", "dpm2", "dpm2-karras", "dpm2-a",
            "dpm2-a-karras");
    private static final Set<String> DRAW_NOISE = Set.of("euler-a", "dpm2-a", "dpm2-a-karras", "dpmpp-2m-sde",
            "dpmpp-2m-sde-karras");

    private static SchedulerConfig sd15() {
        return SchedulerGoldenTest.modelConfig();
    }

    @Test
    void secondOrderSamplersEvaluateTwicePerStepExceptTheLast() {
        for (String name : SchedulerNames.NAMES) {
            for (int steps : new int[] {1, 2, 3, 7, 50}) {
                Scheduler scheduler = Schedulers.create(name, sd15());
                scheduler.setTimesteps(steps);
                int expected = SECOND_ORDER.contains(name) ? 2 * steps - 1 : name.equals("pndm") && steps > 1
                        ? steps + 1 : steps;
                assertEquals(expected, scheduler.timesteps().length, name + " with " + steps + " steps");
                assertEquals(SECOND_ORDER.contains(name) ? 2 : 1, scheduler.order(), name);
            }
        }
    }

    /** Every scheduler runs a whole schedule on a toy model (eps = x / 10) and ends with finite values. */
    @Test
    void everySchedulerCompletesARunWithFiniteValues() {
        for (String name : SchedulerNames.NAMES) {
            Scheduler scheduler = Schedulers.create(name, sd15());
            scheduler.setTimesteps(6);
            TorchGenerator generator = new TorchGenerator(7);
            float[] sample = generator.randn(1, 4, 2, 2);
            for (int i = 0; i < sample.length; i++) {
                sample[i] *= scheduler.initNoiseSigma();
            }
            for (float t : scheduler.timesteps()) {
                float[] input = scheduler.scaleModelInput(sample, t);
                float[] eps = new float[input.length];
                for (int i = 0; i < eps.length; i++) {
                    eps[i] = input[i] / 10f;
                }
                sample = scheduler.step(eps, t, sample, generator);
            }
            for (float v : sample) {
                assertTrue(Float.isFinite(v), name + " ended with " + v);
            }
        }
    }

    @Test
    void ancestralAndSdeSamplersDrawOneSampleSizedTensorPerEvaluation() {
        for (String name : SchedulerNames.NAMES) {
            Scheduler scheduler = Schedulers.create(name, sd15());
            scheduler.setTimesteps(5);
            int[] draws = {0};
            NoiseSource counting = shape -> {
                draws[0]++;
                assertEquals(1, shape.length, name);
                assertEquals(8L, shape[0], name);
                return new float[8];
            };
            float[] sample = new float[8];
            java.util.Arrays.fill(sample, 1f);
            for (float t : scheduler.timesteps()) {
                scheduler.scaleModelInput(sample, t);
                sample = scheduler.step(new float[8], t, sample, DRAW_NOISE.contains(name) ? counting : null);
            }
            // diffusers draws at every evaluation, also in the first half of a DPM2-a step and on the last step
            assertEquals(DRAW_NOISE.contains(name) ? scheduler.timesteps().length : 0, draws[0], name);
        }
        Scheduler sde = Schedulers.create("dpmpp-2m-sde", sd15());
        sde.setTimesteps(3);
        float[] x = new float[8];
        assertThrows(IllegalArgumentException.class, () -> sde.step(x, sde.timesteps()[0], x, null));
    }

    @Test
    void noiseEntersOnlyTheSecondHalfOfADpm2AncestralStep() {
        float[] sample = new float[8];
        java.util.Arrays.fill(sample, 3f);
        float[] output = new float[8];
        java.util.Arrays.fill(output, 0.5f);
        Scheduler zeros = Schedulers.create("dpm2-a", sd15());
        Scheduler ones = Schedulers.create("dpm2-a", sd15());
        zeros.setTimesteps(3);
        ones.setTimesteps(3);
        float[] timesteps = zeros.timesteps();
        float[] a = sample;
        float[] b = sample;
        for (int i = 0; i < timesteps.length; i++) {
            zeros.scaleModelInput(a, timesteps[i]);
            ones.scaleModelInput(b, timesteps[i]);
            a = zeros.step(output, timesteps[i], a, shape -> new float[(int) shape[0]]);
            b = ones.step(output, timesteps[i], b, shape -> {
                float[] n = new float[(int) shape[0]];
                java.util.Arrays.fill(n, 1f);
                return n;
            });
            if (i % 2 == 0) {
                assertEquals(a[0], b[0], "first half of step " + i / 2 + ", or the final Euler step: no noise");
            } else {
                assertNotEquals(a[0], b[0], "second half of step " + i / 2 + " adds sigma_up noise");
                b = a.clone(); // continue from the same point
            }
        }
    }

    @Test
    void singlestepSwitchesLowerOrderFinalOnWhereDiffusersDoes() {
        SchedulerConfig sigmaMin = sd15().with("final_sigmas_type", "sigma_min").with("lower_order_final", false);
        Scheduler even = Schedulers.create("dpmpp-2s", sigmaMin);
        even.setTimesteps(12);
        assertEquals(false, even.config().get("lower_order_final"), "even steps ending at sigma_min: kept");
        Scheduler odd = Schedulers.create("dpmpp-2s", sigmaMin);
        odd.setTimesteps(11);
        assertEquals(true, odd.config().get("lower_order_final"), "an odd step count cannot end on a full pair");
        Scheduler zero = Schedulers.create("dpmpp-2s", sd15().with("lower_order_final", false));
        assertEquals(true, zero.config().get("lower_order_final"), "a final sigma of 0 needs a first-order last step");
    }

    @Test
    void deisAndSinglestepReadEachOthersAlgorithmNamesAsTheirOwn() {
        SchedulerConfig dpm = sd15().with("algorithm_type", "dpmsolver++").with("solver_type", "midpoint");
        assertEquals("deis", Schedulers.create("deis", dpm).config().get("algorithm_type"));
        assertEquals("logrho", Schedulers.create("deis", dpm).config().get("solver_type"));
        SchedulerConfig deis = sd15().with("algorithm_type", "deis").with("solver_type", "logrho");
        assertEquals("dpmsolver++", Schedulers.create("dpmpp-2s", deis).config().get("algorithm_type"));
        assertEquals("midpoint", Schedulers.create("dpmpp-2s", deis).config().get("solver_type"));
    }

    @Test
    void heunAndDpm2DefaultToStableDiffusionsBetasLikeDiffusers() {
        SchedulerConfig empty = SchedulerConfig.parse("{}");
        for (String name : SECOND_ORDER) {
            assertEquals(0.00085, Schedulers.create(name, empty).config().get("beta_start"), name);
            assertEquals(0.012, Schedulers.create(name, empty).config().get("beta_end"), name);
        }
        assertEquals(0.0001, Schedulers.create("deis", empty).config().get("beta_start"));
        assertEquals(0.02, Schedulers.create("dpmpp-2s", empty).config().get("beta_end"));
    }

    @Test
    void unsupportedSettingsOfTheNewSchedulersFailByKey() {
        List<Runnable> attempts = List.of(
                () -> Schedulers.create("dpm2", sd15().with("prediction_type", "sample")),
                () -> Schedulers.create("dpm2-a", sd15().with("prediction_type", "sample")),
                () -> Schedulers.create("dpmpp-2s", sd15().with("solver_order", 3)),
                () -> Schedulers.create("deis", sd15().with("solver_order", 3)),
                () -> Schedulers.create("deis", sd15().with("thresholding", true)));
        for (Runnable attempt : attempts) {
            assertThrows(IllegalArgumentException.class, attempt::run);
        }
    }

    @Test
    void thePlainAndSdeNamesPinTheDpmSolverAlgorithm() {
        SchedulerConfig sdeModel = sd15().with("algorithm_type", "sde-dpmsolver++");
        assertEquals("dpmsolver++", Schedulers.create("dpmpp-2m", sdeModel).config().get("algorithm_type"));
        assertEquals("sde-dpmsolver++", Schedulers.create("DPM++ 2M SDE", sd15()).config().get("algorithm_type"));
        assertEquals(true, Schedulers.create("dpmpp-2m-sde-karras", sd15()).config().get("use_karras_sigmas"));
    }

    /**
     * numpy's float32 log, whose bits diffusers' Karras timesteps inherit. Reference values from {@code np.log} on
     * float32 arrays (numpy 2.4.6 on AVX2; its loops_exponent_log kernel is the one numpy 1.24.2 has), chosen where it
     * is not correctly rounded; 0x3f486945 is numpy's documented worst case (3.83 ulps).
     */
    @Test
    void float32LogIsNumpys() {
        int[][] bits = {{0x3f486945, 0xbe7aae7a}, {0x3f872ac0, 0x3d5f2730}, {0x6ed1f078, 0x42834d1f},
            {0x337e6934, 0xc1852253}};
        for (int[] pair : bits) {
            float x = Float.intBitsToFloat(pair[0]);
            assertEquals(pair[1], Float.floatToRawIntBits(NumpyMath.logFloat32(x)), "log(" + x + ")");
            assertNotEquals(pair[1], Float.floatToRawIntBits((float) Math.log(x)), "not the correctly rounded log");
        }
        assertEquals(Float.NEGATIVE_INFINITY, NumpyMath.logFloat32(0f));
        assertTrue(Float.isNaN(NumpyMath.logFloat32(-1f)));
        assertEquals(0f, NumpyMath.logFloat32(1f));
    }
}
