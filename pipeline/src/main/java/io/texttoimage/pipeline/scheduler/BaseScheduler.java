package io.texttoimage.pipeline.scheduler;

import io.texttoimage.pipeline.random.NoiseSource;

import java.util.Map;

/** State and helpers common to every scheduler: resolved settings, the step counter and argument checks. */
abstract class BaseScheduler implements Scheduler {

    private final String name;
    protected final ConfigReader config;
    protected final NoiseSchedule schedule;
    protected final String predictionType;
    protected final String timestepSpacing;
    protected final int stepsOffset;

    protected float[] timesteps;
    /** diffusers' {@code _step_index}: -1 until the first {@code scaleModelInput} or {@code step} call. */
    protected int stepIndex = -1;
    /**
     * What the last step predicted the clean sample to be ({@link #predOriginalSample}); set by the schedulers whose
     * diffusers step output carries it, null otherwise and before the first step.
     */
    protected float[] predOriginal;

    /**
     * @param defaultSpacing the class's default {@code timestep_spacing}; null for a class without that setting
     *                       (DPM-Solver singlestep always spaces its timesteps linearly)
     */
    BaseScheduler(String name, SchedulerConfig source, String defaultSpacing) {
        this.name = name;
        this.config = new ConfigReader(source);
        this.schedule = NoiseSchedule.from(config);
        this.predictionType = config.choice("prediction_type", "epsilon", "epsilon", "v_prediction", "sample");
        this.timestepSpacing = defaultSpacing == null ? "linspace"
                : config.choice("timestep_spacing", defaultSpacing, "linspace", "leading", "trailing");
        this.stepsOffset = config.intValue("steps_offset", 0);
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final Map<String, Object> config() {
        return config.resolved();
    }

    @Override
    public float[] timesteps() {
        requireTimesteps();
        return timesteps.clone();
    }

    @Override
    public float initNoiseSigma() {
        return 1.0f;
    }

    @Override
    public int order() {
        return 1;
    }

    @Override
    public float[] scaleModelInput(float[] sample, float timestep) {
        return sample;
    }

    @Override
    public final float[] predOriginalSample() {
        return predOriginal;
    }

    /** Checks the step count shared by all schedulers; returns the number of training steps. */
    protected final int checkSteps(int numInferenceSteps) {
        if (numInferenceSteps < 1) {
            throw new IllegalArgumentException("number of inference steps must be at least 1, got "
                    + numInferenceSteps);
        }
        int trainSteps = schedule.trainSteps();
        if (numInferenceSteps > trainSteps) {
            throw new IllegalArgumentException("number of inference steps (" + numInferenceSteps
                    + ") cannot exceed num_train_timesteps (" + trainSteps + ")");
        }
        stepIndex = -1;
        predOriginal = null;
        return trainSteps;
    }

    protected final void requireTimesteps() {
        if (timesteps == null) {
            throw new IllegalStateException("call setTimesteps before using the " + name + " scheduler");
        }
    }

    /** The noise source of an ancestral or SDE step; they cannot run without one. */
    protected final NoiseSource requireNoise(NoiseSource noise) {
        if (noise == null) {
            throw new IllegalArgumentException("the " + name + " scheduler needs a noise source");
        }
        return noise;
    }

    protected static void requireSameLength(float[] modelOutput, float[] sample) {
        if (modelOutput.length != sample.length) {
            throw new IllegalArgumentException("model output has " + modelOutput.length + " values but the sample has "
                    + sample.length);
        }
    }

    /**
     * diffusers' {@code _init_step_index}: on the first call the step index is the position of {@code timestep} in the
     * schedule (the second match when it occurs twice); later calls use the running counter.
     *
     * @param fallbackToLast multistep solvers fall back to the last index when the timestep is not in the schedule
     */
    protected final int currentStepIndex(float timestep, boolean fallbackToLast) {
        requireTimesteps();
        if (stepIndex < 0) {
            int first = -1;
            int second = -1;
            for (int i = 0; i < timesteps.length; i++) {
                if (timesteps[i] == timestep) {
                    if (first < 0) {
                        first = i;
                    } else if (second < 0) {
                        second = i;
                    }
                }
            }
            if (first < 0) {
                if (!fallbackToLast) {
                    throw new IllegalArgumentException("timestep " + timestep + " is not in this run's schedule");
                }
                stepIndex = timesteps.length - 1;
            } else {
                stepIndex = second >= 0 ? second : first;
            }
        }
        if (stepIndex >= timesteps.length) {
            throw new IllegalStateException("the " + name + " scheduler has already completed its "
                    + timesteps.length + " steps");
        }
        return stepIndex;
    }

    protected static float[] toFloats(double[] values) {
        float[] out = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (float) values[i];
        }
        return out;
    }
}
