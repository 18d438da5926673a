package io.texttoimage.gateway.api.problem;

import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.util.HashSet;
import java.util.Set;

/**
 * Tells a failure that means "PostgreSQL cannot be reached now" (refused or lost connections, a server shutting down
 * or not accepting connections yet) from a gateway bug, so that the API answers 503 with Retry-After instead of
 * 500. Decided by exception type and SQL state, not by message text (two exceptions: {@link #isClosedAtSchedule},
 * {@link #isPoolWaitTimeout}).
 * A refused or timed-out connection is taken for the database's: the other dependencies' failures reach the API as
 * their own exceptions (the broker's as {@code JobException.NotQueued}, the storage adapter's as
 * {@code SigningException}), never as a bare one.
 */
final class DatabaseOutage {
    private DatabaseOutage() {
    }

    static boolean isCause(Throwable failure) {
        Set<Throwable> seen = new HashSet<>();
        for (Throwable cause = failure; cause != null && seen.add(cause); cause = cause.getCause()) {
            if (cause.getClass().getName().equals("io.vertx.sqlclient.ClosedConnectionException")) {
                return true;
            }
            if (isClosedAtSchedule(cause) || isPoolWaitTimeout(cause)) {
                return true;
            }
            if (cause instanceof io.vertx.pgclient.PgException pg && isOutageState(pg.getSqlState())) {
                return true;
            }
            // a plain IOException is what the JDK throws when a write meets a connection the server reset ("Connection
            // reset by peer"): seen when the pool's connection was busy at the cut (the webhook relay keeps it so)
            if ((cause instanceof ConnectException || cause instanceof NoRouteToHostException
                    || cause instanceof SocketException || cause.getClass() == IOException.class
                    || isNettyConnectTimeout(cause))) {
                return true;
            }
        }
        return false;
    }

    /** Class 08: connection exception; 57P01..57P03: admin/crash shutdown, cannot connect now. */
    private static boolean isOutageState(String sqlState) {
        return sqlState != null && (sqlState.startsWith("08") || sqlState.startsWith("57P0"));
    }

    /**
     * A query given to a pooled connection that PostgreSQL dropped between its acquisition and the query (seen under
     * load at a cut): vertx-sql-client fails it with a bare {@code NoStackTraceThrowable} (SocketConnectionBase), a
     * type it uses for many failures, so its message is what tells it.
     */
    private static boolean isClosedAtSchedule(Throwable cause) {
        return cause.getClass().getName().equals("io.vertx.core.impl.NoStackTraceThrowable")
                && cause.getMessage() != null && cause.getMessage().startsWith("Connection is not active now");
    }

    /**
     * Every pooled connection stayed busy for the pool's whole wait (30 s): PostgreSQL is too slow or hung, or the
     * gateway has more work than connections. Not the client's mistake nor a gateway bug: 503, retry later.
     * vertx-sql-client fails the query with one shared {@code VertxException}, told by its message.
     */
    private static boolean isPoolWaitTimeout(Throwable cause) {
        return cause.getClass().getName().equals("io.vertx.core.VertxException")
                && "Timeout waiting for connection".equals(cause.getMessage());
    }

    private static boolean isNettyConnectTimeout(Throwable cause) {
        return cause.getClass().getName().equals("io.netty.channel.ConnectTimeoutException");
    }
}
