package io.texttoimage.pipeline.scheduler;

import io.texttoimage.pipeline.random.NoiseSource;

/**
 * diffusers' {@code DEISMultistepScheduler} ("log-rho" DEIS, Zhang and Chen 2022), solver order 1 or 2: an
 * exponential integrator in {@code rho = sigma_t / alpha_t} that works on the noise prediction and interpolates the
 * last two noise predictions in log(rho). The first step is first order (DDIM), and with fewer than 15 steps
 * {@code lower_order_final} makes the last one first order too. Like UniPC it ends at the smallest training sigma,
 * not at 0. One UNet evaluation per step; deterministic.
 */
final class DeisMultistepScheduler extends MultistepSolverScheduler {

    private final boolean lowerOrderFinal;

    DeisMultistepScheduler(String name, SchedulerConfig source) {
        super(name, source, "linspace", "DEIS");
        // like diffusers, DPM-Solver and UniPC values are read as DEIS's own
        if (!"deis".equals(config.choice("algorithm_type", "deis", "deis", "dpmsolver", "dpmsolver++"))) {
            config.replace("algorithm_type", "deis");
        }
        if (!"logrho".equals(config.choice("solver_type", "logrho", "logrho", "midpoint", "heun", "bh1", "bh2"))) {
            config.replace("solver_type", "logrho");
        }
        this.lowerOrderFinal = config.booleanValue("lower_order_final", true);
        config.requireValue("thresholding", false, false);
    }

    @Override
    public void setTimesteps(int numInferenceSteps) {
        MultistepSchedule.Steps steps = steps(numInferenceSteps, checkSteps(numInferenceSteps), timestepSpacing);
        startRun(steps, steps.endingAboveZero(useKarrasSigmas, schedule));
    }

    @Override
    public float[] step(float[] modelOutput, float timestep, float[] sample, NoiseSource noise) {
        requireSameLength(modelOutput, sample);
        int index = currentStepIndex(timestep, true);
        int count = timesteps.length;
        boolean lowerOrderFinalStep = index == count - 1 && lowerOrderFinal && count < 15;
        float[] epsilon = noisePrediction(modelOutput, sample, sigmas[index]);
        remember(epsilon);
        float[] prev = solverOrder == 1 || lowerOrderNums < 1 || lowerOrderFinalStep
                ? firstOrderUpdate(epsilon, sample, index)
                : secondOrderUpdate(sample, index);
        countStep();
        stepIndex++;
        return prev;
    }

    /** diffusers' {@code convert_model_output}: x0 for the prediction type, then back to the noise it implies. */
    private float[] noisePrediction(float[] modelOutput, float[] sample, float sigma) {
        float[] x0 = MultistepSchedule.dataPrediction(predictionType, modelOutput, sample, sigma);
        float alpha = MultistepSchedule.alpha(sigma);
        float sigmaT = sigma * alpha;
        float[] epsilon = new float[sample.length];
        for (int i = 0; i < epsilon.length; i++) {
            epsilon[i] = (sample[i] - alpha * x0[i]) / sigmaT;
        }
        return epsilon;
    }

    /** DDIM in noise form: {@code x_t = (alpha_t / alpha_s) x - sigma_t (e^h - 1) eps}. */
    private float[] firstOrderUpdate(float[] epsilon, float[] sample, int index) {
        float sigmaNext = sigmas[index + 1];
        float sigmaNow = sigmas[index];
        float alphaT = MultistepSchedule.alpha(sigmaNext);
        float sigmaT = sigmaNext * alphaT;
        float alphaS = MultistepSchedule.alpha(sigmaNow);
        float h = MultistepSchedule.lambda(sigmaNext) - MultistepSchedule.lambda(sigmaNow);
        float sampleCoeff = alphaT / alphaS;
        float epsilonCoeff = sigmaT * (TorchFloatMath.exp(h) - 1f);
        float[] prev = new float[sample.length];
        for (int i = 0; i < prev.length; i++) {
            prev[i] = sampleCoeff * sample[i] - epsilonCoeff * epsilon[i];
        }
        return prev;
    }

    /**
     * The second-order log-rho step: the noise prediction, linear in log(rho) through the last two, integrated
     * exactly in rho from rho_s0 to rho_t; {@code x_t = alpha_t (x / alpha_s0 + c1 eps_0 + c2 eps_1)}.
     */
    private float[] secondOrderUpdate(float[] sample, int index) {
        float alphaT = MultistepSchedule.alpha(sigmas[index + 1]);
        float alphaS0 = MultistepSchedule.alpha(sigmas[index]);
        float rhoT = rho(sigmas[index + 1]);
        float rhoS0 = rho(sigmas[index]);
        float rhoS1 = rho(sigmas[index - 1]);
        float coeff0 = integratedBasis(rhoT, rhoS0, rhoS1) - integratedBasis(rhoS0, rhoS0, rhoS1);
        float coeff1 = integratedBasis(rhoT, rhoS1, rhoS0) - integratedBasis(rhoS0, rhoS1, rhoS0);
        float[] m0 = remembered(0);
        float[] m1 = remembered(1);
        float[] prev = new float[sample.length];
        for (int i = 0; i < prev.length; i++) {
            prev[i] = alphaT * (sample[i] / alphaS0 + coeff0 * m0[i] + coeff1 * m1[i]);
        }
        return prev;
    }

    /** {@code rho = sigma_t / alpha_t} with diffusers' {@code sigma_t = sigma * alpha_t}, float32. */
    private static float rho(float sigma) {
        float alpha = MultistepSchedule.alpha(sigma);
        return sigma * alpha / alpha;
    }

    /**
     * diffusers' {@code ind_fn(t, b, c) = t (log t - log c - 1) / (log b - log c)}: an antiderivative in rho of the
     * Lagrange basis polynomial in log(rho) that is 1 at b and 0 at c. Its logs are numpy's float32 logs (diffusers
     * applies {@code np.log} to float32 tensors), the rest float32 tensor arithmetic.
     */
    private static float integratedBasis(float t, float b, float c) {
        float logC = NumpyMath.logFloat32(c);
        float logT = NumpyMath.logFloat32(t);
        return t * (-logC + logT - 1f) / (NumpyMath.logFloat32(b) - logC);
    }
}
