package io.texttoimage.gateway.job;

import io.texttoimage.gateway.job.JobStateMachine.Transition;

import java.util.stream.Collectors;

/**
 * {@link JobStateMachine}'s transitions as SQL, for the guarded updates of {@link JobStore}: a transition's
 * statuses and sequence rule become the WHERE condition, and its rule also says how last_sequence and worker_id are
 * written. {@code JobStoreTransitionsTest} checks the result against {@link JobStateMachine#apply}.
 */
final class TransitionSql {

    private TransitionSql() {
    }

    /**
     * The WHERE condition under which a transition applies to a row: the statuses it leaves, and its sequence rule
     * (see {@link JobStateMachine#apply}).
     *
     * @param row      the row's alias with its dot, or empty
     * @param sequence the event's sequence (a parameter or column)
     * @param worker   the event's worker id
     */
    static String admits(Transition transition, String row, String sequence, String worker) {
        String from = transition.from().stream().sorted().map(status -> "'" + status.name() + "'")
                .collect(Collectors.joining(", "));
        String order = switch (transition.rule()) {
            case NEWER_OR_NEW_ATTEMPT -> " AND (%1$slast_sequence < %2$s OR %1$sworker_id IS DISTINCT FROM %3$s)";
            case NEWER_IN_SAME_ATTEMPT -> " AND %1$slast_sequence < %2$s"
                    + " AND (%1$sworker_id IS NULL OR %3$s IS NULL OR %1$sworker_id = %3$s)";
            case ANY -> "";
        };
        return ("%1$sstatus IN (" + from + ")" + order).formatted(row, sequence, worker);
    }

    /** The SET of last_sequence and worker_id for a transition (see {@link JobStateMachine#apply}). */
    static String sequenceAndWorker(Transition transition, String row, String sequence, String worker) {
        String set = switch (transition.rule()) {
            case NEWER_OR_NEW_ATTEMPT -> "last_sequence = %2$s, worker_id = %3$s";
            case NEWER_IN_SAME_ATTEMPT, ANY ->
                    "last_sequence = GREATEST(%1$slast_sequence, %2$s), worker_id = COALESCE(%1$sworker_id, %3$s)";
        };
        return set.formatted(row, sequence, worker);
    }
}
