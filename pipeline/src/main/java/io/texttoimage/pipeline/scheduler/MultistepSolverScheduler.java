package io.texttoimage.pipeline.scheduler;

/**
 * Common ground of diffusers' exponential-integrator solvers (DPM-Solver++ multistep and singlestep, DEIS, UniPC):
 * whole-number timesteps with float32 sigmas that carry one extra entry, the sigma the last step ends at; a solver
 * order of 1 or 2; the optional Karras sigmas; and the model outputs of earlier steps that higher orders combine.
 */
abstract class MultistepSolverScheduler extends BaseScheduler {

    protected final int solverOrder;
    protected final boolean useKarrasSigmas;
    protected final float[] trainSigmas;

    /** One per timestep plus the final sigma. */
    protected float[] sigmas;
    /** diffusers' {@code lower_order_nums}: steps completed so far, at most the solver order (the warm-up). */
    protected int lowerOrderNums;
    /** diffusers' {@code model_outputs}: the last {@code solverOrder} converted outputs, newest last. */
    private float[][] modelOutputs;

    /** @param solver the solver's name for messages ("DEIS") */
    MultistepSolverScheduler(String name, SchedulerConfig source, String defaultSpacing, String solver) {
        super(name, source, defaultSpacing);
        this.solverOrder = config.intValue("solver_order", 2);
        if (solverOrder != 1 && solverOrder != 2) {
            throw new IllegalArgumentException(solver + " solver_order " + solverOrder + " is not supported; use 1 "
                    + "or 2");
        }
        this.useKarrasSigmas = config.booleanValue("use_karras_sigmas", false);
        this.trainSigmas = schedule.trainSigmas();
    }

    /** The schedule over the training range, or with Karras sigmas (see {@link MultistepSchedule#steps}). */
    protected final MultistepSchedule.Steps steps(int numInferenceSteps, int lastTimestep, String spacing) {
        return MultistepSchedule.steps(spacing, numInferenceSteps, lastTimestep, schedule.trainSteps(), stepsOffset,
                trainSigmas, useKarrasSigmas);
    }

    /** Installs a run's timesteps and sigmas and forgets the previous run's outputs. */
    protected final void startRun(MultistepSchedule.Steps steps, float[] runSigmas) {
        timesteps = steps.timesteps();
        sigmas = runSigmas;
        modelOutputs = new float[solverOrder][];
        lowerOrderNums = 0;
    }

    public float[] sigmas() {
        requireTimesteps();
        return sigmas.clone();
    }

    /** Adds this step's converted model output, dropping the oldest. */
    protected final void remember(float[] output) {
        System.arraycopy(modelOutputs, 1, modelOutputs, 0, solverOrder - 1);
        modelOutputs[solverOrder - 1] = output;
    }

    /** The output remembered {@code stepsBack} steps before the newest (0: the newest); null before it exists. */
    protected final float[] remembered(int stepsBack) {
        return modelOutputs[solverOrder - 1 - stepsBack];
    }

    /** Counts a completed step for the warm-up. */
    protected final void countStep() {
        if (lowerOrderNums < solverOrder) {
            lowerOrderNums++;
        }
    }
}
