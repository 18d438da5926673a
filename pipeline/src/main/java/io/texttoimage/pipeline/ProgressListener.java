package io.texttoimage.pipeline;

import java.time.Duration;

/** Called after every UNet evaluation; {@code step} is 1-based, {@code totalSteps} is the number of UNet evaluations. */
@FunctionalInterface
public interface ProgressListener {

    ProgressListener NONE = (step, totalSteps, elapsed) -> { };

    void onStep(int step, int totalSteps, Duration elapsed);
}
