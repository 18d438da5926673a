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
        public NotQueued(UUID id, String reason, Throwable cause) {
            super("Job " + id + " was not queued and is recorded as failed. " + reason + " Please retry later.",
                    cause);
        }
    }

    /** A requested deadline is longer than the server allows. */
    public static final class InvalidDeadline extends JobException {
        private final String field;

        public InvalidDeadline(String field, String message) {
            super(message, null);
            this.field = field;
        }

        public String field() {
            return field;
        }
    }

    /** The Idempotency-Key header is not 1 to 255 visible ASCII characters. */
    public static final class InvalidIdempotencyKey extends JobException {
        public InvalidIdempotencyKey(int length) {
            super("The Idempotency-Key header must be 1 to " + IdempotencyKey.MAX_LENGTH
                    + " visible ASCII characters (got " + length + " characters).", null);
        }
    }

    /** The Idempotency-Key was used for another request (a different body) while it is still kept. */
    public static final class IdempotencyKeyReused extends JobException {
        public IdempotencyKeyReused(UUID originalJob) {
            super("This Idempotency-Key was already used for a different request (job " + originalJob
                    + "); use a new key for a new request, or send the original body to get the original job.", null);
        }
    }
}
