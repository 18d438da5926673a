package io.texttoimage.generator.service;

import io.texttoimage.pipeline.ProgressListener;
import io.texttoimage.pipeline.preview.LatentPreview;
import io.texttoimage.pipeline.preview.StepLatents;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * Live previews of one job that asked for them: after every {@code everySteps} steps, the step's latents (the
 * scheduler's predicted clean sample where it has one) become a latent-resolution PNG ({@link LatentPreview}) that
 * goes to the gateways. Bytes are bounded per job: a bucket of {@code maxBytesPerSecond} bytes, refilled at that rate,
 * and a preview that does not fit is skipped rather than delayed (the next one is newer anyway). Wraps the listener
 * that reports the steps, which hears everything first.
 */
final class PreviewReporter implements ProgressListener {
    private static final Logger LOG = Logger.getLogger(PreviewReporter.class);

    /** Where previews go: {@link JobEvents#preview} in the worker; returns the bytes published. */
    @FunctionalInterface
    interface PreviewSink {
        int preview(int step, int totalSteps, int width, int height, byte[] png) throws IOException;
    }

    private final ProgressListener next;
    private final PreviewSink sink;
    private final int everySteps;
    private final double bytesPerNano;
    private final long capacity;
    private final LongSupplier nanoClock;
    private double available;
    private long refilledAtNanos;
    private int sent;
    private int skipped;
    private long imageBytes;
    private boolean failing;

    PreviewReporter(ProgressListener next, PreviewSink sink, GeneratorConfig.Previews config) {
        this(next, sink, config.everySteps(), config.maxBytesPerSecond(), System::nanoTime);
    }

    /** {@code nanoClock} refills the byte bucket; tests pass their own so no test depends on real time. */
    PreviewReporter(ProgressListener next, PreviewSink sink, int everySteps, long maxBytesPerSecond,
                    LongSupplier nanoClock) {
        if (everySteps < 1 || maxBytesPerSecond < 1) {
            throw new IllegalArgumentException("t2i.generator.previews.every-steps and max-bytes-per-second must be "
                    + "at least 1, not " + everySteps + " and " + maxBytesPerSecond);
        }
        this.next = next;
        this.sink = sink;
        this.everySteps = everySteps;
        this.capacity = maxBytesPerSecond;
        this.bytesPerNano = maxBytesPerSecond / 1e9;
        this.nanoClock = nanoClock;
        this.available = maxBytesPerSecond;
        this.refilledAtNanos = nanoClock.getAsLong();
    }

    @Override
    public void onStep(int step, int totalSteps, Duration elapsed) {
        next.onStep(step, totalSteps, elapsed);
    }

    @Override
    public void onLatents(int step, int totalSteps, StepLatents latents) {
        next.onLatents(step, totalSteps, latents);
        if (step % everySteps != 0 || !LatentPreview.supports(latents.channels())) {
            return;
        }
        // The first image of the batch: one preview per job keeps the byte bound per job simple.
        LatentPreview preview = LatentPreview.of(latents, 0);
        byte[] png = preview.png();
        if (!take(png.length)) {
            skipped++;
            return;
        }
        try {
            sink.preview(step, totalSteps, preview.width(), preview.height(), png);
            sent++;
            imageBytes += png.length;
            failing = false;
        } catch (IOException | RuntimeException e) {
            // Best effort: a lost preview is replaced by the next; PROGRESS and the outcome report broker trouble.
            if (!failing) {
                LOG.warnf("Could not publish a preview: %s", e.getMessage());
                failing = true;
            }
        }
    }

    /** Takes {@code bytes} from the bucket if they are there. */
    private boolean take(int bytes) {
        long now = nanoClock.getAsLong();
        available = Math.min(capacity, available + (now - refilledAtNanos) * bytesPerNano);
        refilledAtNanos = now;
        if (bytes > available) {
            return false;
        }
        available -= bytes;
        return true;
    }

    int sent() {
        return sent;
    }

    int skipped() {
        return skipped;
    }

    long imageBytes() {
        return imageBytes;
    }
}
