package io.texttoimage.gateway.job;

import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/** The statuses of a stored job (which event moves which to which: {@link JobStateMachine}); lower case in the API. */
public enum JobStatus {
    QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED;

    /** Lower case, as in the API; computed once (it is on every status read and SSE event). */
    private final String apiName = name().toLowerCase(Locale.ROOT);

    private static final Map<String, JobStatus> BY_API_NAME = Arrays.stream(values())
            .collect(Collectors.toUnmodifiableMap(JobStatus::apiName, Function.identity()));

    public String apiName() {
        return apiName;
    }

    /** The status the API spells this way, or null for any other word (such as {@code heartbeat}). */
    public static JobStatus ofApiName(String apiName) {
        return apiName == null ? null : BY_API_NAME.get(apiName);
    }
}
