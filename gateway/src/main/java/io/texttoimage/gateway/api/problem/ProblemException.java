package io.texttoimage.gateway.api.problem;

/** Thrown by application code to answer with a specific problem+json response. */
public class ProblemException extends RuntimeException {
    private final int status;
    private final String type;
    private final String title;

    public ProblemException(int status, String type, String title, String detail) {
        this(status, type, title, detail, null);
    }

    public ProblemException(int status, String type, String title, String detail, Throwable cause) {
        super(detail, cause);
        this.status = status;
        this.type = type;
        this.title = title;
    }

    public static ProblemException badRequest(String field, String detail) {
        return new InvalidField(field, detail);
    }

    /** A request body sent as something else than JSON, or without saying what it is. */
    public static ProblemException unsupportedMediaType(String contentType) {
        return new ProblemException(415, "unsupported-media-type", "Unsupported media type",
                (contentType == null || contentType.isBlank() ? "The request has no Content-Type"
                        : "The request's Content-Type is '" + contentType + "'")
                        + "; this API takes JSON bodies: send Content-Type: application/json.");
    }

    public int status() {
        return status;
    }

    public String type() {
        return type;
    }

    public String title() {
        return title;
    }

    /** A single invalid request value that is not covered by Bean Validation (path or header syntax). */
    public static final class InvalidField extends ProblemException {
        private final String field;

        InvalidField(String field, String detail) {
            super(400, "invalid-request", "Invalid request", detail);
            this.field = field;
        }

        public String field() {
            return field;
        }
    }
}
