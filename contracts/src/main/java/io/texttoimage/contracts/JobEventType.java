package io.texttoimage.contracts;

/** Life cycle of a job: QUEUED → RUNNING → PROGRESS* → SUCCEEDED | FAILED | CANCELLED. */
public enum JobEventType {
    QUEUED, RUNNING, PROGRESS, SUCCEEDED, FAILED, CANCELLED;

    public boolean isTerminal() {
        return this == SUCCEEDED || this == FAILED || this == CANCELLED;
    }
}
