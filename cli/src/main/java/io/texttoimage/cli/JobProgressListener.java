package io.texttoimage.cli;

/** Receives a job's events while t2i watches it. */
@FunctionalInterface
public interface JobProgressListener {

    /** Called once the gateway accepted the job (generate only). */
    default void onSubmitted(Api.JobRecord job) {
    }

    /** Called for every event except heartbeats, in stream order. */
    void onEvent(String eventName, Api.JobEvent event);

    /** Called for every live preview, when the watcher asked for them. */
    default void onPreview(Api.Preview preview) {
    }

    /** Called once the job reached a terminal state. */
    default void onFinished(Api.JobRecord job) {
    }

    static JobProgressListener none() {
        return (name, event) -> { };
    }
}
