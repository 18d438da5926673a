package io.texttoimage.gateway.job;

import java.util.UUID;

/** Why the job domain refused a request; the API answers each kind with its own problem+json. */
public abstract sealed class JobException extends RuntimeException {

    private JobException(String message, Throwable cause) {
        super(message, cause);
    }

    /** No job has this id. */
    public static final class NotFound extends JobException {
        public NotFound(UUID id) {
            super("No generated image with id " + id + ".", null);
        }
    }

    /** The job has ended, so there is nothing left to cancel. */
    public static final class AlreadyFinished extends JobException {
        public AlreadyFinished(UUID id, JobStatus status) {
            super("Job " + id + " is already " + status.apiName() + " and cannot be cancelled.", null);
        }
    }

    /** The broker did not take the job; it is stored as failed, and the client may submit it again. */
    public static final class NotQueued extends JobException {
        public NotQueued(String reason, Throwable cause) {
            super(reason + " Please retry later.", cause);
        }
    }
}
