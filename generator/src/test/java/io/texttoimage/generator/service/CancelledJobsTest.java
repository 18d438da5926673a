package io.texttoimage.generator.service;

import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CancelledJobsTest {

    /** A clock the test moves by hand. */
    private static final class ManualClock extends Clock {
        Instant now = Instant.parse("2026-01-01T00:00:00Z");

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    @Test
    void remembersCancelledIdsUntilTheyExpire() {
        ManualClock clock = new ManualClock();
        CancelledJobs cancelled = new CancelledJobs(100, Duration.ofMinutes(10), clock);
        UUID early = UUID.randomUUID();
        UUID late = UUID.randomUUID();
        cancelled.add(early);
        clock.now = clock.now.plus(Duration.ofMinutes(6));
        cancelled.add(late);

        assertTrue(cancelled.contains(early));
        clock.now = clock.now.plus(Duration.ofMinutes(5));
        assertFalse(cancelled.contains(early), "older than the TTL");
        assertTrue(cancelled.contains(late));
        assertEquals(1, cancelled.size());
    }

    @Test
    void evictsTheOldestWhenFull() {
        CancelledJobs cancelled = new CancelledJobs(3, Duration.ofHours(1), new ManualClock());
        UUID[] ids = {UUID.randomUUID(), UUID.randomUUID(), UUID.randomUUID(), UUID.randomUUID()};
        for (UUID id : ids) {
            cancelled.add(id);
        }
        assertEquals(3, cancelled.size());
        assertFalse(cancelled.contains(ids[0]));
        assertTrue(cancelled.contains(ids[1]));
        assertTrue(cancelled.contains(ids[3]));
    }

    @Test
    void cancellingAgainRefreshesTheEntry() {
        ManualClock clock = new ManualClock();
        CancelledJobs cancelled = new CancelledJobs(2, Duration.ofMinutes(10), clock);
        UUID a = UUID.randomUUID();
        UUID b = UUID.randomUUID();
        cancelled.add(a);
        cancelled.add(b);
        clock.now = clock.now.plus(Duration.ofMinutes(8));
        cancelled.add(a); // moves to the back with a new time
        cancelled.add(UUID.randomUUID()); // evicts b, the oldest
        assertTrue(cancelled.contains(a));
        assertFalse(cancelled.contains(b));
        clock.now = clock.now.plus(Duration.ofMinutes(5));
        assertTrue(cancelled.contains(a), "refreshed 5 minutes ago");
    }
}
