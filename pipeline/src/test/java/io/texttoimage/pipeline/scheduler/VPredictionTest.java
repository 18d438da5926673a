package io.texttoimage.pipeline.scheduler;

import io.texttoimage.pipeline.random.NoiseSource;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * v-prediction support: a v-prediction model that predicts the exact v = alpha·eps − sigma·x0 must lead every
 * scheduler to the same step as an epsilon model predicting eps for the same noisy sample. That ties each scheduler's
 * v formula to its (golden-tested) epsilon path.
 */
class VPredictionTest {

    private static final String SD_CONFIG = """
            {"_class_name": "PNDMScheduler", "beta_schedule": "scaled_linear", "beta_start": 0.00085,
             "beta_end": 0.012, "steps_offset": 1, "skip_prk_steps": true, "set_alpha_to_one": false,
             "clip_sample": false}""";

    @ParameterizedTest
    @ValueSource(strings = {"pndm", "ddim", "euler", "euler-a", "lms", "dpmpp-2m", "dpmpp-2m-karras", "unipc"})
    void vPredictionMatchesTheEquivalentEpsilonPrediction(String name) {
        SchedulerConfig base = SchedulerConfig.parse(SD_CONFIG);
        Scheduler epsilonScheduler = Schedulers.create(name, base);
        Scheduler vScheduler = Schedulers.create(name, base.with("prediction_type", "v_prediction"));
        epsilonScheduler.setTimesteps(10);
        vScheduler.setTimesteps(10);
        float t = epsilonScheduler.timesteps()[0];

        SplittableRandom random = new SplittableRandom(3);
        int n = 64;
        float[] x0 = new float[n];
        float[] eps = new float[n];
        for (int i = 0; i < n; i++) {
            x0[i] = (float) (random.nextDouble() * 2 - 1);
            eps[i] = (float) random.nextGaussian();
        }
        boolean sigmaSpace = epsilonScheduler instanceof DiscreteSigmaScheduler;
        double alpha;
        double sigmaT;
        double sampleScale; // k-diffusion samplers work on x0 + sigma·eps = (VP sample) / alpha
        if (sigmaSpace) {
            double sigma = ((DiscreteSigmaScheduler) epsilonScheduler).sigmas()[0];
            alpha = 1 / Math.sqrt(sigma * sigma + 1);
            sigmaT = sigma * alpha;
            sampleScale = 1 / alpha;
        } else {
            float alphaCumprod = NoiseSchedule.from(new ConfigReader(base)).alphasCumprod()[(int) t];
            alpha = Math.sqrt(alphaCumprod);
            sigmaT = Math.sqrt(1 - alphaCumprod);
            sampleScale = 1;
        }
        float[] sample = new float[n];
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            sample[i] = (float) ((alpha * x0[i] + sigmaT * eps[i]) * sampleScale);
            v[i] = (float) (alpha * eps[i] - sigmaT * x0[i]);
        }
        NoiseSource zeros = shape -> new float[(int) shape[0]];
        float[] fromEpsilon = epsilonScheduler.step(eps, t, sample, zeros);
        float[] fromV = vScheduler.step(v, t, sample, zeros);
        double max = 0;
        double diff = 0;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, Math.abs(fromEpsilon[i]));
            diff = Math.max(diff, Math.abs(fromEpsilon[i] - fromV[i]));
        }
        assertTrue(diff <= 1e-4 * max, name + ": v-prediction step differs by " + diff + " (max |x| " + max + ")");
    }
}
