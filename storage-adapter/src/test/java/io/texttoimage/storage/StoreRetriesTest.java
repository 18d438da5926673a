package io.texttoimage.storage;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The retry schedule with the defaults: 1 s doubling to 10 s, for 2 minutes from publication. */
class StoreRetriesTest {
    private final StoreRetries defaults = new StoreRetries(Duration.ofSeconds(1), Duration.ofSeconds(10),
            Duration.ofMinutes(2));
    private final Instant published = Instant.parse("2026-12-01T10:00:00Z");

    @Test
    void backoffDoublesUpToItsCap() {
        assertEquals(Duration.ofSeconds(1), defaults.backoffAfter(1));
        assertEquals(Duration.ofSeconds(2), defaults.backoffAfter(2));
        assertEquals(Duration.ofSeconds(8), defaults.backoffAfter(4));
        assertEquals(Duration.ofSeconds(10), defaults.backoffAfter(5));
        assertEquals(Duration.ofSeconds(10), defaults.backoffAfter(1_000));
    }

    @Test
    void aThirtySecondOutageIsRiddenOutAndTheWindowEndsWithAnAttemptAtItsEnd() {
        Instant now = published;
        int failures = 0;
        Optional<Duration> pause;
        // S3 is down for the whole window: count the attempts until the adapter gives up.
        while ((pause = defaults.nextPause(published, ++failures, now)).isPresent()) {
            now = now.plus(pause.get());
        }
        assertEquals(published.plus(Duration.ofMinutes(2)), now, "the last attempt falls at the end of the window");
        assertEquals(16, failures, "16 attempts: at 0, 1, 3, 7, 15, 25 … 115 and 120 s");

        // An outage of 30 s: the attempts at 0, 1, 3, 7, 15 and 25 s fail, the one at 35 s succeeds.
        Instant at = published;
        for (int failed = 1; failed <= 6; failed++) {
            at = at.plus(defaults.nextPause(published, failed, at).orElseThrow());
        }
        assertEquals(published.plusSeconds(35), at);
    }

    @Test
    void theWindowStartsAtPublicationUnlessTheMessageHasNoTimeOrOneFromTheFuture() {
        Instant received = published.plusSeconds(30);
        assertEquals(published, StoreRetries.windowStart(Date.from(published), received));
        assertEquals(received, StoreRetries.windowStart(null, received));
        assertEquals(received, StoreRetries.windowStart(Date.from(received.plusSeconds(5)), received));
    }
}
