package io.texttoimage.gateway.api.problem;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Only the pool timer's own exception is quieted; its burst is reported once, with its count. */
class LatePoolTimeoutsTest {

    @Test
    void onlyThePoolTimersDoubleCompletionIsRecognised() {
        assertTrue(LatePoolTimeouts.isLateTimeout(thrownBy("io.vertx.sqlclient.impl.pool.SqlConnectionPool",
                "lambda$execute$3")));
        assertFalse(LatePoolTimeouts.isLateTimeout(thrownBy("io.texttoimage.gateway.job.JobStore", "lambda$read$1")),
                "the same double completion in our code is a bug to see");
        assertFalse(LatePoolTimeouts.isLateTimeout(thrownBy("io.vertx.sqlclient.impl.pool.SqlConnectionPool",
                "acquire")), "elsewhere in the pool: not the known timer");
        IllegalStateException other = new IllegalStateException("Connection closed");
        other.setStackTrace(thrownBy("io.vertx.sqlclient.impl.pool.SqlConnectionPool", "lambda$execute$3")
                .getStackTrace());
        assertFalse(LatePoolTimeouts.isLateTimeout(other), "another message");
        assertFalse(LatePoolTimeouts.isLateTimeout(new RuntimeException("Result is already complete")));
    }

    @Test
    void aBurstIsReportedOnceWithItsCount() {
        LatePoolTimeouts.Burst burst = new LatePoolTimeouts.Burst();
        assertTrue(burst.end().isEmpty(), "nothing counted, nothing to report");
        assertTrue(burst.counted(), "the first starts a burst");
        assertFalse(burst.counted());
        assertFalse(burst.counted());
        assertTrue(burst.untilQuiet() > 0, "just counted: not quiet yet");
        String line = burst.end().orElseThrow();
        assertTrue(line.contains("ignored 3 late connection timeout(s)"), line);
        assertTrue(burst.end().isEmpty(), "reported once");
        assertTrue(burst.counted(), "the next one starts a new burst");
    }

    private static IllegalStateException thrownBy(String className, String method) {
        IllegalStateException failure = new IllegalStateException("Result is already complete");
        failure.setStackTrace(new StackTraceElement[] {
                new StackTraceElement("io.vertx.core.Promise", "fail", "Promise.java", 90),
                new StackTraceElement(className, method, "X.java", 216),
                new StackTraceElement("io.vertx.core.impl.VertxImpl$InternalTimerHandler", "handle", "VertxImpl.java",
                        1102)});
        return failure;
    }
}
