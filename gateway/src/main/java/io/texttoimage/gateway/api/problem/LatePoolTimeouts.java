package io.texttoimage.gateway.api.problem;

import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.time.Duration;

/**
 * Quiets one known, harmless exception of vertx-sql-client 4.5 (the same code is still in 5.x), which flooded the
 * log after each PostgreSQL outage, and counts it instead: one line per outage.
 * <p>
 * A query run on the pool itself ({@code Pool.preparedQuery}: most reads, the periodic passes, Quarkus's readiness
 * check) starts a timer for the pool's connection timeout (30 s, vertx-sql-client's default: Quarkus has no setting
 * for it) and cancels it only when it gets a connection ({@code SqlConnectionPool.execute}). When getting one fails
 * instead (PostgreSQL refused or dropped it), the query fails at once (the request is answered 503) but the timer
 * stays, and 30 s later fails the finished query again: {@code IllegalStateException: Result is already complete},
 * from a lambda of {@code SqlConnectionPool.execute}, handed to Vert.x's exception handler, which Quarkus logs as an
 * ERROR with its stack trace: one per query refused during the outage. Nothing waits on that timer any more, so
 * nothing is lost by ignoring it. (Queries in a transaction or on a held connection, {@code withTransaction}, take
 * another path, whose timer is cancelled either way.)
 * <p>
 * This handler sits in front of Quarkus's; every other exception goes on to it unchanged.
 */
@ApplicationScoped
public class LatePoolTimeouts {
    private static final Logger LOG = Logger.getLogger(LatePoolTimeouts.class);
    /**
     * A pause after which the late timeouts of one outage are over and counted in one line: they come 30 s after the
     * queries refused during the outage, which the periodic passes keep making every second or so while it lasts.
     */
    public static final Duration QUIET = Duration.ofSeconds(10);

    private final Burst burst = new Burst();

    void install(@Observes StartupEvent started, Vertx vertx) {
        Handler<Throwable> quarkus = vertx.exceptionHandler();
        if (quarkus instanceof Filter previous) { // the same Vert.x, reused by a restart in dev or test mode
            quarkus = previous.next;
        }
        vertx.exceptionHandler(new Filter(quarkus, vertx, burst));
    }

    /** The exception of a pool timer that fired for a query already failed (or one that failed after it fired). */
    static boolean isLateTimeout(Throwable failure) {
        if (!(failure instanceof IllegalStateException) || !"Result is already complete".equals(failure.getMessage())) {
            return false;
        }
        for (StackTraceElement frame : failure.getStackTrace()) {
            if (!frame.getClassName().startsWith("io.vertx.core.")) { // below the promise's own frames: who failed it
                return frame.getClassName().equals("io.vertx.sqlclient.impl.pool.SqlConnectionPool")
                        && frame.getMethodName().startsWith("lambda$execute$");
            }
        }
        return false;
    }

    private record Filter(Handler<Throwable> next, Vertx vertx, Burst burst) implements Handler<Throwable> {
        @Override
        public void handle(Throwable failure) {
            if (!isLateTimeout(failure)) {
                if (next != null) {
                    next.handle(failure);
                }
                return;
            }
            LOG.debugf("Late PostgreSQL pool timeout ignored: %s", failure);
            if (burst.counted()) {
                vertx.setTimer(QUIET.toMillis(), id -> report());
            }
        }

        private void report() {
            long wait = burst.untilQuiet();
            if (wait > 0) {
                vertx.setTimer(wait, id -> report());
                return;
            }
            burst.end().ifPresent(LOG::info);
        }
    }

    /** The late timeouts of one outage: how many, over how long. Thread-safe: every event loop reports here. */
    static final class Burst {
        private long count;
        private long firstNanos;
        private long lastNanos;

        /** Counts one; true if it starts a burst (so its report is to be scheduled). */
        synchronized boolean counted() {
            lastNanos = System.nanoTime();
            if (count++ == 0) {
                firstNanos = lastNanos;
                return true;
            }
            return false;
        }

        /** Milliseconds until the burst has been quiet for {@link #QUIET}; 0 or less if it has. */
        synchronized long untilQuiet() {
            return QUIET.toMillis() - Duration.ofNanos(System.nanoTime() - lastNanos).toMillis();
        }

        /** The burst's line, and a new burst begins; empty if none was counted. */
        synchronized java.util.Optional<String> end() {
            if (count == 0) {
                return java.util.Optional.empty();
            }
            String line = String.format("PostgreSQL pool: ignored %d late connection timeout(s) over %.1f s, each "
                    + "for a query that had already failed (and been answered) when PostgreSQL could not be reached; "
                    + "a harmless defect of vertx-sql-client (IllegalStateException: Result is already complete)",
                    count, (lastNanos - firstNanos) / 1e9);
            count = 0;
            return java.util.Optional.of(line);
        }
    }
}
