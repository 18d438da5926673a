package io.texttoimage.gateway.job;

import io.texttoimage.contracts.JobEventType;

import java.util.Locale;

/** Life cycle of a stored job; the API spells it in lower case. */
public enum JobStatus {
    QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED;

    public boolean isTerminal() {
        return this == SUCCEEDED || this == FAILED || this == CANCELLED;
    }

    public String apiName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The status a job is in after an event of this type. */
    public static JobStatus after(JobEventType type) {
        return switch (type) {
            case QUEUED -> QUEUED;
            case RUNNING, PROGRESS -> RUNNING;
            case SUCCEEDED -> SUCCEEDED;
            case FAILED -> FAILED;
            case CANCELLED -> CANCELLED;
        };
    }
}
