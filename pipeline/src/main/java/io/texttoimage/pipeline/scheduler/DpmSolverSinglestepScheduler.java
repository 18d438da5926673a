package io.texttoimage.pipeline.scheduler;

import io.texttoimage.pipeline.random.NoiseSource;

/**
 * diffusers' {@code DPMSolverSinglestepScheduler} with {@code algorithm_type="dpmsolver++"}, solver order 1 or 2:
 * DPM-Solver++(2S). Unlike the multistep solver it does not reuse model outputs across steps: the timesteps come in
 * pairs, a first-order step to the pair's middle timestep and then a second-order step over the whole pair that starts
 * again from the pair's first sample, using the model outputs at both ends of the first half. One UNet evaluation
 * per timestep; deterministic.
 *
 * <p>diffusers changes {@code lower_order_final} to true by itself when the final sigma is 0 (the default) or the
 * step count is not a multiple of the solver order; so does this class, and {@link #config()} shows the value used.
 */
final class DpmSolverSinglestepScheduler extends MultistepSolverScheduler {

    private final boolean midpoint;
    private final String finalSigmasType;
    private final double lambdaMinClipped;
    private boolean lowerOrderFinal;
    private int[] orders;
    /** The sample the current pair of steps started from (diffusers' {@code self.sample}). */
    private float[] pairStart;

    DpmSolverSinglestepScheduler(String name, SchedulerConfig source) {
        super(name, source, null, "DPM-Solver singlestep");
        // like diffusers, a DEIS value is read as its DPM-Solver++ counterpart
        String algorithm = config.choice("algorithm_type", "dpmsolver++", "dpmsolver++", "deis");
        if (!"dpmsolver++".equals(algorithm)) {
            config.replace("algorithm_type", "dpmsolver++");
        }
        String solverType = config.choice("solver_type", "midpoint", "midpoint", "heun", "logrho", "bh1", "bh2");
        this.midpoint = !"heun".equals(solverType);
        if (!"midpoint".equals(solverType) && midpoint) {
            config.replace("solver_type", "midpoint");
        }
        this.finalSigmasType = config.choice("final_sigmas_type", "zero", "zero", "sigma_min");
        this.lambdaMinClipped = config.doubleValue("lambda_min_clipped", Double.NEGATIVE_INFINITY);
        this.lowerOrderFinal = config.booleanValue("lower_order_final", false);
        if (!lowerOrderFinal && "zero".equals(finalSigmasType)) {
            // a second-order step cannot end at sigma 0, so diffusers switches lower_order_final on
            switchOnLowerOrderFinal();
        }
        config.requireValue("variance_type", null, null);
        config.requireValue("thresholding", false, false);
    }

    private void switchOnLowerOrderFinal() {
        lowerOrderFinal = true;
        config.replace("lower_order_final", true);
    }

    @Override
    public void setTimesteps(int numInferenceSteps) {
        int trainSteps = checkSteps(numInferenceSteps);
        int lastTimestep = trainSteps - MultistepSchedule.clippedLambdaCount(schedule, lambdaMinClipped);
        MultistepSchedule.Steps steps = steps(numInferenceSteps, lastTimestep, "linspace");
        startRun(steps, steps.endingAt("zero".equals(finalSigmasType) ? 0f : schedule.sigmaMin()));
        if (!lowerOrderFinal && numInferenceSteps % solverOrder != 0) {
            switchOnLowerOrderFinal(); // an odd step count cannot end on a full pair
        }
        orders = orderList(numInferenceSteps);
        pairStart = null;
    }

    /** diffusers' {@code get_order_list}: 1, 2, 1, 2, … with the end lowered to first order by lower_order_final. */
    private int[] orderList(int steps) {
        int[] list = new int[steps];
        for (int i = 0; i < steps; i++) {
            list[i] = solverOrder == 1 ? 1 : 1 + i % 2;
        }
        if (lowerOrderFinal && solverOrder == 2 && steps % 2 == 0) {
            list[steps - 1] = 1; // [1, 2] * (steps/2 - 1) + [1, 1]: the last pair is two first-order steps
        }
        return list;
    }

    @Override
    public float[] step(float[] modelOutput, float timestep, float[] sample, NoiseSource noise) {
        requireSameLength(modelOutput, sample);
        int index = currentStepIndex(timestep, true);
        float[] x0 = MultistepSchedule.dataPrediction(predictionType, modelOutput, sample, sigmas[index]);
        remember(x0);
        int order = orders[index];
        while (remembered(order - 1) == null) {
            order--;
        }
        if (order == 1) {
            pairStart = sample.clone(); // a new pair begins here; callers may reuse their buffers
        }
        float[] prev = order == 1
                ? MultistepSchedule.firstOrderUpdate(x0, pairStart, sigmas[index], sigmas[index + 1])
                : secondOrderUpdate(index);
        stepIndex++;
        return prev;
    }

    /**
     * DPM-Solver++(2S) over the whole pair, from the pair's start at sigma[index - 1] to sigma[index + 1], with the
     * model outputs at its start (m1) and middle (m0): {@code D0 = m1, D1 = (m0 - m1) / r0}, where {@code r0} is the
     * first half's share of the pair's log-SNR step.
     */
    private float[] secondOrderUpdate(int index) {
        float lambdaS1 = MultistepSchedule.lambda(sigmas[index - 1]);
        float h = MultistepSchedule.lambda(sigmas[index + 1]) - lambdaS1;
        float r0 = (MultistepSchedule.lambda(sigmas[index]) - lambdaS1) / h;
        return MultistepSchedule.secondOrderUpdate(pairStart, sigmas[index - 1], sigmas[index + 1], r0, remembered(1),
                remembered(0), remembered(1), midpoint);
    }
}
