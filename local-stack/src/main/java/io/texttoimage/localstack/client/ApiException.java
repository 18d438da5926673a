package io.texttoimage.localstack.client;

/** The gateway answered with an error; the message carries the problem+json detail. */
public class ApiException extends RuntimeException {
    private final int status;

    public ApiException(int status, String message) {
        super(message);
        this.status = status;
    }

    public int status() {
        return status;
    }
}
