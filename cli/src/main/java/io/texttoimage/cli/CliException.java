package io.texttoimage.cli;

/** A failure that ends a command with a message for the user and a documented exit code. */
public class CliException extends RuntimeException {

    private final int exitCode;
    private final transient Api.Problem problem;

    public CliException(int exitCode, String message) {
        this(exitCode, message, null, null);
    }

    public CliException(int exitCode, String message, Api.Problem problem, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
        this.problem = problem;
    }

    public int exitCode() {
        return exitCode;
    }

    /** The server's problem detail, when the failure came from one. */
    public Api.Problem problem() {
        return problem;
    }
}
