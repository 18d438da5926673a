package io.texttoimage.generator.service;

import io.texttoimage.pipeline.ProgressListener;
import io.texttoimage.pipeline.io.PngImages;
import io.texttoimage.pipeline.preview.LatentPreview;
import io.texttoimage.pipeline.preview.StepLatents;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class PreviewReporterTest {

    /** 2 images of 4×3 latents: image 0 all zeros (grey), image 1 different, so the preview shows which one it is. */
    private static final StepLatents LATENTS = latents();

    private static StepLatents latents() {
        float[] values = new float[2 * 4 * 12];
        for (int i = 4 * 12; i < values.length; i++) {
            values[i] = 3f;
        }
        return new StepLatents(values, true, 2, 4, 3, 4);
    }

    private record Sent(int step, int total, int width, int height, byte[] png) {
    }

    private final List<String> heard = new ArrayList<>();
    private final ProgressListener next = new ProgressListener() {
        @Override
        public void onStep(int step, int totalSteps, Duration elapsed) {
            heard.add("step" + step);
        }

        @Override
        public void onLatents(int step, int totalSteps, StepLatents latents) {
            heard.add("latents" + step);
        }
    };

    private void run(PreviewReporter reporter, int from, int to, int total) {
        for (int step = from; step <= to; step++) {
            reporter.onStep(step, total, Duration.ofMillis(step));
            reporter.onLatents(step, total, LATENTS);
        }
    }

    @Test
    void aPreviewOfTheFirstImageAfterEveryKthStepAndTheWrappedListenerHearsEverything() {
        List<Sent> sent = new ArrayList<>();
        PreviewReporter reporter = new PreviewReporter(next, (step, total, w, h, png) -> {
            sent.add(new Sent(step, total, w, h, png));
            return png.length;
        }, 3, 1_000_000, () -> 0L);
        run(reporter, 1, 10, 10);
        assertEquals(List.of(3, 6, 9), sent.stream().map(Sent::step).toList());
        assertEquals(20, heard.size(), "onStep and onLatents of every step reach the wrapped listener");
        Sent first = sent.getFirst();
        assertEquals(10, first.total());
        assertEquals(4, first.width());
        assertEquals(3, first.height());
        var image = PngImages.decode(first.png());
        assertEquals(127, image.value(3, 2, 0), "image 0 (grey), not image 1");
        assertEquals(3, reporter.sent());
        assertEquals(0, reporter.skipped());
    }

    @Test
    void previewsThatWouldExceedTheBytesPerSecondAreSkippedUntilTheBucketRefills() {
        int size = LatentPreview.of(LATENTS, 0).png().length;
        long perSecond = size * 5L / 2; // two and a half previews per second
        AtomicLong nanos = new AtomicLong();
        List<Integer> sent = new ArrayList<>();
        PreviewReporter reporter = new PreviewReporter(next, (step, total, w, h, png) -> {
            sent.add(step);
            return png.length;
        }, 1, perSecond, nanos::get);
        run(reporter, 1, 4, 20);          // a full bucket takes 2; 3 and 4 do not fit
        assertEquals(List.of(1, 2), sent);
        nanos.addAndGet(300_000_000L);    // 0.3 s refills three quarters of a preview: 1.25 in the bucket now
        run(reporter, 5, 5, 20);
        assertEquals(List.of(1, 2, 5), sent);
        nanos.addAndGet(10_000_000_000L); // a long pause refills to one second's worth, no more
        run(reporter, 6, 9, 20);
        assertEquals(List.of(1, 2, 5, 6, 7), sent);
        assertEquals(5, reporter.sent());
        assertEquals(4, reporter.skipped());
        assertEquals(5L * size, reporter.imageBytes());
    }

    @Test
    void aPreviewThatCannotBePublishedIsDroppedAndTheJobGoesOn() {
        PreviewReporter reporter = new PreviewReporter(next, (step, total, w, h, png) -> {
            throw new IOException("channel closed");
        }, 1, 1_000_000, () -> 0L);
        run(reporter, 1, 3, 3);
        assertEquals(6, heard.size());
        assertEquals(0, reporter.sent());
    }

    @Test
    void settingsBelowOneAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new PreviewReporter(next, (s, t, w, h, p) -> 0, 0, 1,
                () -> 0L));
        assertThrows(IllegalArgumentException.class, () -> new PreviewReporter(next, (s, t, w, h, p) -> 0, 1, 0,
                () -> 0L));
    }
}
