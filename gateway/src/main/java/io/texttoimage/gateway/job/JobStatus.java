package io.texttoimage.gateway.job;

import io.texttoimage.contracts.JobEventType;

import java.util.Locale;

/** Life cycle of a stored job; the API spells it in lower case. */
public enum JobStatus {
    QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED;

    public boolean isTerminal() {
        return this == SUCCEEDED || this == FAILED || this == CANCELLED;
    }

    /** Lower case, as in the API; computed once (it is on every status read and SSE event). */
    private final String apiName = name().toLowerCase(Locale.ROOT);

    public String apiName() {
        return apiName;
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
