package io.texttoimage.pipeline.scheduler;

import io.texttoimage.pipeline.io.Npy;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.util.List;

import static io.texttoimage.pipeline.scheduler.SchedulerGoldenTest.GoldenCase;
import static io.texttoimage.pipeline.scheduler.SchedulerGoldenTest.assertClose;
import static io.texttoimage.pipeline.scheduler.SchedulerGoldenTest.guidedNoise;
import static io.texttoimage.pipeline.scheduler.SchedulerGoldenTest.initialLatents;
import static io.texttoimage.pipeline.scheduler.SchedulerGoldenTest.schedulerFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * {@code pred_original_sample} of the first step against what diffusers' golden runs imply. The goldens do not store
 * it, so the expected value is derived from golden data only (the first UNet output, the initial latents, the sigmas
 * and the latents after step 1), never from the code under test:
 * <ul>
 *     <li>Euler and LMS (whose first step is an Euler step): {@code prev = x + (x - x0) / σ0 · (σ1 - σ0)}, so
 *     {@code x0 = x - (prev - x) · σ0 / (σ1 - σ0)};</li>
 *     <li>DDIM: {@code x0 = (x - sqrt(1 - ᾱ_t) ε) / sqrt(ᾱ_t)} with ᾱ recomputed here from the config
 *     (scaled_linear betas), itself checked by rebuilding the golden step-1 latents from that x0.</li>
 * </ul>
 * The schedulers whose diffusers output has no {@code pred_original_sample} must say so (null).
 */
class PredOriginalSampleGoldenTest {

    static List<GoldenCase> cases() throws IOException {
        return SchedulerGoldenTest.cases();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void firstStepPredictsTheCleanSampleDiffusersImplies(GoldenCase golden) {
        Scheduler scheduler = schedulerFor(golden);
        float[] sample = initialLatents(golden, scheduler);
        float t0 = scheduler.timesteps()[0];
        scheduler.scaleModelInput(sample, t0);
        float[] noise = guidedNoise(golden, sample.length);
        float[] prev = Npy.read(golden.file("latents_step1")).floats();
        scheduler.step(noise, t0, sample, null);
        float[] actual = scheduler.predOriginalSample();
        switch (scheduler) {
            case EulerScheduler e -> assertClose(fromEulerStep(golden, sample, prev), actual, 1e-4,
                    golden.id() + " x0");
            case LmsScheduler l -> assertClose(fromEulerStep(golden, sample, prev), actual, 1e-4, golden.id() + " x0");
            case DdimScheduler d -> assertClose(fromDdim(golden, sample, noise, prev, (int) t0), actual, 1e-4,
                    golden.id() + " x0");
            default -> assertNull(actual, scheduler.name() + ": diffusers' step output has no pred_original_sample");
        }
    }

    private static float[] fromEulerStep(GoldenCase golden, float[] sample, float[] prev) {
        float[] sigmas = Npy.read(golden.file("sigmas")).floats();
        double ratio = (double) sigmas[0] / ((double) sigmas[1] - sigmas[0]);
        float[] x0 = new float[sample.length];
        for (int i = 0; i < x0.length; i++) {
            x0[i] = (float) (sample[i] - ((double) prev[i] - sample[i]) * ratio);
        }
        return x0;
    }

    private static float[] fromDdim(GoldenCase golden, float[] sample, float[] noise, float[] prev, int t) {
        var config = golden.scheduler().get("config");
        int trainSteps = config.get("num_train_timesteps").asInt();
        double start = Math.sqrt(config.get("beta_start").asDouble());
        double end = Math.sqrt(config.get("beta_end").asDouble());
        assertEquals("scaled_linear", config.get("beta_schedule").asText());
        double[] alphasCumprod = new double[trainSteps];
        double product = 1;
        for (int i = 0; i < trainSteps; i++) {
            double root = start + (end - start) * i / (trainSteps - 1);
            product *= 1 - root * root;
            alphasCumprod[i] = product;
        }
        int previous = t - trainSteps / golden.json().get("num_inference_steps").asInt();
        // set_alpha_to_one is false in SD 1.5's config: the final ᾱ is ᾱ_0
        double alphaPrev = previous >= 0 ? alphasCumprod[previous] : alphasCumprod[0];
        double alpha = alphasCumprod[t];
        float[] x0 = new float[sample.length];
        float[] rebuilt = new float[sample.length];
        for (int i = 0; i < x0.length; i++) {
            double predicted = (sample[i] - Math.sqrt(1 - alpha) * noise[i]) / Math.sqrt(alpha);
            x0[i] = (float) predicted;
            rebuilt[i] = (float) (Math.sqrt(alphaPrev) * predicted + Math.sqrt(1 - alphaPrev) * noise[i]);
        }
        assertClose(prev, rebuilt, 1e-5, golden.id() + ": the test's ᾱ rebuild diffusers' step 1");
        return x0;
    }
}
