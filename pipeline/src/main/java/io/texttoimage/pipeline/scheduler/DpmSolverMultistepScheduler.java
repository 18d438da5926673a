package io.texttoimage.pipeline.scheduler;

import io.texttoimage.pipeline.random.NoiseSource;

/**
 * diffusers' {@code DPMSolverMultistepScheduler} with {@code algorithm_type="dpmsolver++"} (data prediction), solver
 * order 1 or 2, midpoint or Heun second-order update: DPM-Solver++(2M). With {@code use_karras_sigmas} it is
 * "DPM++ 2M Karras". The first step and (with the default {@code final_sigmas_type="zero"}) the last step are first
 * order; with fewer than 15 steps {@code lower_order_final} also lowers the second-to-last step.
 *
 * <p>With {@code algorithm_type="sde-dpmsolver++"} it is "DPM++ 2M SDE": the same data-prediction multistep solver
 * for the reverse SDE, which shrinks the sample by {@code e^-h} more and adds fresh noise of size
 * {@code sigma_t sqrt(1 - e^-2h)} every step. Like diffusers, each step then draws one tensor of the sample's size
 * from {@code noise} (also the last step, whose noise is multiplied by sigma 0).
 */
final class DpmSolverMultistepScheduler extends MultistepSolverScheduler {

    private final boolean sde;
    private final String solverType;
    private final boolean lowerOrderFinal;
    private final boolean eulerAtFinal;
    private final String finalSigmasType;
    private final double lambdaMinClipped;

    DpmSolverMultistepScheduler(String name, SchedulerConfig source) {
        super(name, source, "linspace", "DPM-Solver");
        this.sde = "sde-dpmsolver++".equals(config.choice("algorithm_type", "dpmsolver++", "dpmsolver++",
                "sde-dpmsolver++"));
        this.solverType = config.choice("solver_type", "midpoint", "midpoint", "heun");
        this.lowerOrderFinal = config.booleanValue("lower_order_final", true);
        this.eulerAtFinal = config.booleanValue("euler_at_final", false);
        config.requireValue("use_lu_lambdas", false, false);
        this.finalSigmasType = config.choice("final_sigmas_type", "zero", "zero", "sigma_min");
        this.lambdaMinClipped = config.doubleValue("lambda_min_clipped", Double.NEGATIVE_INFINITY);
        config.requireValue("variance_type", null, null);
        config.requireValue("thresholding", false, false);
        config.requireValue("rescale_betas_zero_snr", false, false);
    }

    @Override
    public void setTimesteps(int numInferenceSteps) {
        int trainSteps = checkSteps(numInferenceSteps);
        int lastTimestep = trainSteps - MultistepSchedule.clippedLambdaCount(schedule, lambdaMinClipped);
        MultistepSchedule.Steps steps = steps(numInferenceSteps, lastTimestep, timestepSpacing);
        startRun(steps, steps.endingAt("zero".equals(finalSigmasType) ? 0f : schedule.sigmaMin()));
    }

    @Override
    public float[] step(float[] modelOutput, float timestep, float[] sample, NoiseSource noise) {
        requireSameLength(modelOutput, sample);
        int index = currentStepIndex(timestep, true);
        int count = timesteps.length;
        boolean lowerOrderFinalStep = index == count - 1
                && (eulerAtFinal || (lowerOrderFinal && count < 15) || "zero".equals(finalSigmasType));
        // (diffusers' lower_order_second only matters for solver order 3, which is not offered.)

        float[] x0 = MultistepSchedule.dataPrediction(predictionType, modelOutput, sample, sigmas[index]);
        remember(x0);
        float[] fresh = sde ? requireNoise(noise).randn(sample.length) : null;

        float[] prev;
        boolean firstOrder = solverOrder == 1 || lowerOrderNums < 1 || lowerOrderFinalStep;
        if (sde) {
            prev = firstOrder ? sdeFirstOrderUpdate(x0, sample, index, fresh) : sdeSecondOrderUpdate(sample, index, fresh);
        } else {
            prev = firstOrder ? MultistepSchedule.firstOrderUpdate(x0, sample, sigmas[index], sigmas[index + 1])
                    : secondOrderUpdate(sample, index);
        }
        countStep();
        stepIndex++;
        return prev;
    }

    /** DPM-Solver++(2M): the step from sigma[index], with the derivative estimated from this and the last x0. */
    private float[] secondOrderUpdate(float[] sample, int index) {
        float lambdaS0 = MultistepSchedule.lambda(sigmas[index]);
        float h = MultistepSchedule.lambda(sigmas[index + 1]) - lambdaS0;
        float r0 = (lambdaS0 - MultistepSchedule.lambda(sigmas[index - 1])) / h;
        return MultistepSchedule.secondOrderUpdate(sample, sigmas[index], sigmas[index + 1], r0, remembered(0),
                remembered(0), remembered(1), "midpoint".equals(solverType));
    }

    /** The terms every SDE update shares, for a step from sigma[index] to sigma[index + 1]. */
    private record SdeTerms(float sampleCoeff, float alphaT, float oneMinusExp2h, float noiseCoeff) {
    }

    private SdeTerms sdeTerms(int index) {
        float sigmaNext = sigmas[index + 1];
        float sigmaNow = sigmas[index];
        float alphaT = MultistepSchedule.alpha(sigmaNext);
        float sigmaT = sigmaNext * alphaT;
        float sigmaS = sigmaNow * MultistepSchedule.alpha(sigmaNow);
        float h = MultistepSchedule.lambda(sigmaNext) - MultistepSchedule.lambda(sigmaNow);
        float oneMinusExp2h = 1f - TorchFloatMath.exp(-2f * h);
        float noiseCoeff = sigmaT * (float) Math.sqrt(oneMinusExp2h);
        return new SdeTerms(sigmaT / sigmaS * TorchFloatMath.exp(-h), alphaT, oneMinusExp2h, noiseCoeff);
    }

    /** {@code x_t = (sigma_t / sigma_s) e^-h x + alpha_t (1 - e^-2h) x0 + sigma_t sqrt(1 - e^-2h) z}. */
    private float[] sdeFirstOrderUpdate(float[] x0, float[] sample, int index, float[] fresh) {
        SdeTerms terms = sdeTerms(index);
        float x0Coeff = terms.alphaT() * terms.oneMinusExp2h();
        float[] prev = new float[sample.length];
        for (int i = 0; i < prev.length; i++) {
            prev[i] = terms.sampleCoeff() * sample[i] + x0Coeff * x0[i] + terms.noiseCoeff() * fresh[i];
        }
        return prev;
    }

    /** The midpoint (or Heun) second-order SDE update: the first-order one plus a correction from the last two x0. */
    private float[] sdeSecondOrderUpdate(float[] sample, int index, float[] fresh) {
        SdeTerms terms = sdeTerms(index);
        float h = MultistepSchedule.lambda(sigmas[index + 1]) - MultistepSchedule.lambda(sigmas[index]);
        float h0 = MultistepSchedule.lambda(sigmas[index]) - MultistepSchedule.lambda(sigmas[index - 1]);
        float d1Coeff = 1f / (h0 / h);
        float[] m0 = remembered(0);
        float[] m1 = remembered(1);
        float d0Weight = terms.alphaT() * terms.oneMinusExp2h();
        float d1Weight = "midpoint".equals(solverType)
                ? 0.5f * d0Weight
                : terms.alphaT() * (terms.oneMinusExp2h() / (-2f * h) + 1f);
        float[] prev = new float[sample.length];
        for (int i = 0; i < prev.length; i++) {
            float d1 = d1Coeff * (m0[i] - m1[i]);
            prev[i] = terms.sampleCoeff() * sample[i] + d0Weight * m0[i] + d1Weight * d1
                    + terms.noiseCoeff() * fresh[i];
        }
        return prev;
    }
}
