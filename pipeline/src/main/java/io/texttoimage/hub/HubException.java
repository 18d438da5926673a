package io.texttoimage.hub;

import java.io.IOException;

/**
 * A model could not be resolved from the Hugging Face Hub. The message is one sentence saying what went wrong
 * followed by what to do about it, so that callers can show it to a user as is.
 */
public class HubException extends IOException {

    /** What went wrong, so that callers (and tests) can react without parsing the message. */
    public enum Reason {
        INVALID_REFERENCE, NETWORK, UNAUTHORIZED, NOT_FOUND, DISK_FULL, CORRUPT_DOWNLOAD, OFFLINE_NOT_CACHED,
        NOT_A_PIPELINE, SERVER_ERROR
    }

    private final Reason reason;

    public HubException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public HubException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
