package io.texttoimage.gateway;

import java.time.Duration;
import java.util.function.Supplier;

/** Polls until a condition holds: the event consumers write asynchronously. */
final class Eventually {
    private Eventually() {
    }

    static void await(Duration timeout, String what, Supplier<Boolean> condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.get()) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("Timed out after " + timeout + " waiting until " + what);
    }
}
