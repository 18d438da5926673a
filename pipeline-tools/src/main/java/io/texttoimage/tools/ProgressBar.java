package io.texttoimage.tools;

import io.texttoimage.pipeline.ProgressListener;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;

/** A one-line progress bar on stderr, redrawn with a carriage return after every UNet evaluation. */
final class ProgressBar implements ProgressListener, AutoCloseable {

    private static final int WIDTH = 30;

    private final PrintWriter err;
    private final boolean enabled;
    private boolean drawn;

    ProgressBar(PrintWriter err, boolean enabled) {
        this.err = err;
        this.enabled = enabled;
    }

    @Override
    public void onStep(int step, int totalSteps, Duration elapsed) {
        if (!enabled) {
            return;
        }
        int filled = (int) ((long) WIDTH * step / totalSteps);
        double seconds = elapsed.toNanos() / 1e9;
        double perStep = seconds / step;
        err.printf(Locale.ROOT, "\r[%s%s] %d/%d steps  %.1f s  %.2f s/step ", "#".repeat(filled),
                ".".repeat(WIDTH - filled), step, totalSteps, seconds, perStep);
        err.flush();
        drawn = true;
    }

    @Override
    public void close() {
        if (drawn) {
            err.println();
            err.flush();
        }
    }
}
