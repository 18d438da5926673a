package io.texttoimage.gateway.storage;

/** Download URLs could not be signed; the API answers 502 or 503 depending on the reason. */
public final class SigningException extends RuntimeException {

    public enum Reason {
        /** The job has no image keys to sign. */
        NO_IMAGES,
        /** The storage adapter answered with an error (e.g. the object is missing). */
        ADAPTER_ERROR,
        /** The storage adapter could not be reached. */
        ADAPTER_UNREACHABLE
    }

    private final Reason reason;

    SigningException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
