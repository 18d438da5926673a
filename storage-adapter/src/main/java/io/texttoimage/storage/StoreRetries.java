package io.texttoimage.storage;

import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Optional;

/**
 * How long a failing S3 write of one image is retried, and how long the adapter pauses between attempts.
 *
 * <p>The retries run in the adapter, on the same delivery, which it keeps unacknowledged meanwhile: no other replica
 * can take the message, the 3 MB body is not re-published for each attempt, and a replica that dies holding it hands
 * it back to the queue by losing its connection. The bound is a <b>window of time measured from when the generator
 * published the image</b> (the message's AMQP timestamp), not a count kept by one replica: a redelivery after a
 * crash, on whichever replica, still ends within the same window, and the generator, which waits from the same
 * moment, hears the reason before its own {@code store-timeout}. A message without a timestamp (an older generator)
 * gets its window from when this delivery arrived.
 *
 * @param firstBackoff pause after the first failure; doubled after each further one
 * @param maxBackoff   the longest pause
 * @param window       how long after publication the last attempt may start
 */
record StoreRetries(Duration firstBackoff, Duration maxBackoff, Duration window) {

    static StoreRetries of(StorageConfig config) {
        return new StoreRetries(config.retryBackoff(), config.retryBackoffMax(), config.retryWindow());
    }

    /**
     * When the window of a delivery starts: the generator's publish time, or {@code received} when the message has
     * none or claims a time after it (a generator whose clock runs ahead must not lengthen the window).
     */
    static Instant windowStart(Date published, Instant received) {
        if (published == null || published.toInstant().isAfter(received)) {
            return received;
        }
        return published.toInstant();
    }

    /** The pause after {@code failures} failed attempts (1 or more): doubling from the first, capped. */
    Duration backoffAfter(int failures) {
        Duration pause = firstBackoff;
        for (int i = 1; i < failures && pause.compareTo(maxBackoff) < 0; i++) {
            pause = pause.multipliedBy(2);
        }
        return pause.compareTo(maxBackoff) > 0 ? maxBackoff : pause;
    }

    /**
     * The pause before the next attempt, or empty when the window is over and the store gives up. The last pause is
     * shortened so that one attempt falls at the end of the window.
     */
    Optional<Duration> nextPause(Instant windowStart, int failures, Instant now) {
        Duration left = Duration.between(now, windowStart.plus(window));
        if (left.isNegative() || left.isZero()) {
            return Optional.empty();
        }
        Duration pause = backoffAfter(failures);
        return Optional.of(pause.compareTo(left) > 0 ? left : pause);
    }
}
