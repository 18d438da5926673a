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
