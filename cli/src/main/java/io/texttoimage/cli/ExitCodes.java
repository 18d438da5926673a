package io.texttoimage.cli;

/** Exit codes of every t2i command, documented in docs/cli.md. */
public final class ExitCodes {
    public static final int OK = 0;
    /** The job failed or was cancelled, or the request conflicts with the job's state (HTTP 409). */
    public static final int JOB_FAILED = 1;
    /** Bad arguments, or the server rejected the request (HTTP 400/422): the problem detail is printed. */
    public static final int USAGE = 2;
    /** The gateway cannot be reached or answers with a server error (HTTP 5xx). */
    public static final int UNREACHABLE = 3;
    /** No job with that id (HTTP 404). */
    public static final int NOT_FOUND = 4;

    private ExitCodes() {
    }
}
