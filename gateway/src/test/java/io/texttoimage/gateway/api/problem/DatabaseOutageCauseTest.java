package io.texttoimage.gateway.api.problem;

import io.vertx.core.impl.NoStackTraceThrowable;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which failures mean "PostgreSQL cannot be reached now" (503) rather than a gateway bug (500). */
class DatabaseOutageCauseTest {

    @Test
    void aQueryOnAConnectionDroppedAfterItsAcquisitionIsAnOutage() {
        assertTrue(DatabaseOutage.isCause(new NoStackTraceThrowable(
                "Connection is not active now, current status: CLOSED")));
        assertTrue(DatabaseOutage.isCause(new RuntimeException(new NoStackTraceThrowable(
                "Connection is not active now, current status: CLOSED"))), "as a cause too");
        assertFalse(DatabaseOutage.isCause(new NoStackTraceThrowable("Timeout")), "other bare Vert.x failures are not");
        assertFalse(DatabaseOutage.isCause(new IllegalStateException("Connection is not active now")),
                "the message alone is not enough");
    }

    @Test
    void aQueryThatWaitedThePoolsWholeWaitForAConnectionIsAnOutage() {
        // what vertx-sql-client's pool fails a query with when no connection was free for 30 s
        assertTrue(DatabaseOutage.isCause(new io.vertx.core.VertxException("Timeout waiting for connection", true)));
        assertFalse(DatabaseOutage.isCause(new io.vertx.core.VertxException("Timeout waiting for a reply", true)),
                "another Vert.x timeout is not");
    }
}
