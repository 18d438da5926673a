package io.texttoimage.gateway.auth;

/**
 * The API key could not be looked up (PostgreSQL unreachable): neither accepted nor refused, so the answer is a 503
 * to retry, not a 401 that would tell a client its valid key is wrong.
 */
final class KeyStoreUnavailable extends RuntimeException {
    KeyStoreUnavailable(Throwable cause) {
        super("The API key could not be checked: " + cause, cause);
    }

    /** Whether this is somewhere in the failure's causes (Quarkus may wrap it). */
    static boolean isCause(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
            if (cause instanceof KeyStoreUnavailable) {
                return true;
            }
        }
        return false;
    }
}
