package io.texttoimage.storage;

import jakarta.ws.rs.core.Response;

/** A client or dependency error that becomes a problem+json response with this status and detail. */
public class ProblemException extends RuntimeException {
    private final Response.Status status;

    public ProblemException(Response.Status status, String detail) {
        super(detail);
        this.status = status;
    }

    public Response.Status status() {
        return status;
    }
}
