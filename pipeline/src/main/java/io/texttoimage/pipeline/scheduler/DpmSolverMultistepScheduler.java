package io.texttoimage.pipeline.scheduler;

import io.texttoimage.pipeline.random.NoiseSource;

/**
 * diffusers' {@code DPMSolverMultistepScheduler} with {@code algorithm_type="dpmsolver++"} (data prediction), solver
 * order 1 or 2, midpoint or Heun second-order update: DPM-Solver++(2M). With {@code use_karras_sigmas} it is
 * "DPM++ 2M Karras". The first step and (with the default {@code final_sigmas_type="zero"}) the last step are first
 * order; with fewer than 15 steps {@code lower_order_final} also lowers the second-to-last step.
 */
final class DpmSolverMultistepScheduler extends BaseScheduler {

    private final int solverOrder;
    private final String solverType;
    private final boolean lowerOrderFinal;
    private final boolean eulerAtFinal;
    private final boolean useKarrasSigmas;
    private final String finalSigmasType;
    private final double lambdaMinClipped;
    private final float[] trainSigmas;

    private float[] sigmas;
    private float[][] modelOutputs;
    private int lowerOrderNums;

    DpmSolverMultistepScheduler(String name, SchedulerConfig source) {
        super(name, source, "linspace");
        this.solverOrder = config.intValue("solver_order", 2);
        if (solverOrder != 1 && solverOrder != 2) {
            throw new IllegalArgumentException("DPM-Solver solver_order " + solverOrder
                    + " is not supported; use 1 or 2");
        }
        config.choice("algorithm_type", "dpmsolver++", "dpmsolver++");
        this.solverType = config.choice("solver_type", "midpoint", "midpoint", "heun");
        this.lowerOrderFinal = config.booleanValue("lower_order_final", true);
        this.eulerAtFinal = config.booleanValue("euler_at_final", false);
        this.useKarrasSigmas = config.booleanValue("use_karras_sigmas", false);
        config.requireValue("use_lu_lambdas", false, false);
        this.finalSigmasType = config.choice("final_sigmas_type", "zero", "zero", "sigma_min");
        this.lambdaMinClipped = config.doubleValue("lambda_min_clipped", Double.NEGATIVE_INFINITY);
        config.requireValue("variance_type", null, null);
        config.requireValue("thresholding", false, false);
        config.requireValue("rescale_betas_zero_snr", false, false);
        this.trainSigmas = schedule.trainSigmas();
    }

    @Override
    public void setTimesteps(int numInferenceSteps) {
        int trainSteps = checkSteps(numInferenceSteps);
        int lastTimestep = trainSteps - clippedLambdaCount();
        double[] spaced = MultistepSchedule.spacedTimesteps(timestepSpacing, numInferenceSteps, lastTimestep,
                trainSteps, stepsOffset);
        double[] stepSigmas;
        if (useKarrasSigmas) {
            spaced = new double[numInferenceSteps];
            stepSigmas = MultistepSchedule.karras(trainSigmas, numInferenceSteps, spaced);
        } else {
            stepSigmas = MultistepSchedule.sigmasAt(spaced, trainSigmas);
        }
        float sigmaLast = "zero".equals(finalSigmasType) ? 0f : NoiseSchedule.sigmaOf(schedule.alphasCumprod()[0]);
        sigmas = new float[stepSigmas.length + 1];
        for (int i = 0; i < stepSigmas.length; i++) {
            sigmas[i] = (float) stepSigmas[i];
        }
        sigmas[stepSigmas.length] = sigmaLast;
        timesteps = toFloats(spaced);
        modelOutputs = new float[solverOrder][];
        lowerOrderNums = 0;
    }

    /** How many training lambdas lie below {@code lambda_min_clipped} (torch.searchsorted on the flipped lambdas). */
    private int clippedLambdaCount() {
        float[] alphasCumprod = schedule.alphasCumprod();
        int count = 0;
        for (float a : alphasCumprod) {
            float lambda = (float) Math.log((float) Math.sqrt(a)) - (float) Math.log((float) Math.sqrt(1f - a));
            if (lambda < lambdaMinClipped) {
                count++;
            }
        }
        return count;
    }

    public float[] sigmas() {
        requireTimesteps();
        return sigmas.clone();
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
        for (int i = 0; i < solverOrder - 1; i++) {
            modelOutputs[i] = modelOutputs[i + 1];
        }
        modelOutputs[solverOrder - 1] = x0;

        float[] prev;
        if (solverOrder == 1 || lowerOrderNums < 1 || lowerOrderFinalStep) {
            prev = firstOrderUpdate(x0, sample, index);
        } else {
            prev = secondOrderUpdate(sample, index);
        }
        if (lowerOrderNums < solverOrder) {
            lowerOrderNums++;
        }
        stepIndex++;
        return prev;
    }

    private float[] firstOrderUpdate(float[] x0, float[] sample, int index) {
        float sigmaNext = sigmas[index + 1];
        float sigmaNow = sigmas[index];
        float alphaT = MultistepSchedule.alpha(sigmaNext);
        float sigmaT = sigmaNext * alphaT;
        float sigmaS = sigmaNow * MultistepSchedule.alpha(sigmaNow);
        float h = MultistepSchedule.lambda(sigmaNext) - MultistepSchedule.lambda(sigmaNow);
        float sampleCoeff = sigmaT / sigmaS;
        float x0Coeff = alphaT * (TorchFloatMath.exp(-h) - 1f);
        float[] prev = new float[sample.length];
        for (int i = 0; i < prev.length; i++) {
            prev[i] = sampleCoeff * sample[i] - x0Coeff * x0[i];
        }
        return prev;
    }

    private float[] secondOrderUpdate(float[] sample, int index) {
        float sigmaNext = sigmas[index + 1];
        float sigmaS0 = sigmas[index];
        float sigmaS1 = sigmas[index - 1];
        float alphaT = MultistepSchedule.alpha(sigmaNext);
        float sigmaT = sigmaNext * alphaT;
        float sigmaS0T = sigmaS0 * MultistepSchedule.alpha(sigmaS0);
        float lambdaT = MultistepSchedule.lambda(sigmaNext);
        float lambdaS0 = MultistepSchedule.lambda(sigmaS0);
        float lambdaS1 = MultistepSchedule.lambda(sigmaS1);
        float[] m0 = modelOutputs[solverOrder - 1];
        float[] m1 = modelOutputs[solverOrder - 2];
        float h = lambdaT - lambdaS0;
        float h0 = lambdaS0 - lambdaS1;
        float r0 = h0 / h;
        float d1Coeff = 1f / r0;
        float sampleCoeff = sigmaT / sigmaS0T;
        float expMinusOne = TorchFloatMath.exp(-h) - 1f;
        float d0Coeff = alphaT * expMinusOne;
        boolean midpoint = "midpoint".equals(solverType);
        float d1Weight = midpoint ? 0.5f * (alphaT * expMinusOne) : alphaT * (expMinusOne / h + 1f);
        float[] prev = new float[sample.length];
        for (int i = 0; i < prev.length; i++) {
            float d1 = d1Coeff * (m0[i] - m1[i]);
            float base = sampleCoeff * sample[i] - d0Coeff * m0[i];
            prev[i] = midpoint ? base - d1Weight * d1 : base + d1Weight * d1;
        }
        return prev;
    }
}
