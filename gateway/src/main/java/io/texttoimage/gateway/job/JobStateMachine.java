package io.texttoimage.gateway.job;

import io.texttoimage.contracts.JobEventType;

import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import static io.texttoimage.gateway.job.JobStatus.CANCELLED;
import static io.texttoimage.gateway.job.JobStatus.FAILED;
import static io.texttoimage.gateway.job.JobStatus.QUEUED;
import static io.texttoimage.gateway.job.JobStatus.RUNNING;
import static io.texttoimage.gateway.job.JobStatus.SUCCEEDED;

/**
 * The life cycle of a job, in one place. Each event type moves a stored job from some statuses to one, under a rule
 * for its sequence number that tells a new event from a duplicate or a late one:
 *
 * <pre>
 * event      applies to a stored job that is   makes it    if its sequence rule admits it
 * QUEUED     (none: a new job is stored queued by the gateway itself)
 * RUNNING    queued, running                   running     newer, or from another worker (a new attempt)
 * PROGRESS   queued, running                   running     newer, and of the stored attempt
 * SUCCEEDED  queued, running                   succeeded   always
 * FAILED     queued, running                   failed      always
 * CANCELLED  queued, running                   cancelled   always
 * </pre>
 *
 * A status that nothing leaves is terminal (succeeded, failed, cancelled): every later event is ignored and a cancel
 * is refused. The gateway itself fails a queued job that the broker did not take ({@link #UNQUEUED}), and a job
 * that ran out of attempts by publishing a FAILED event for it ({@code messaging/DeadLetterQueue}). An SSE stream
 * follows the sequence alone ({@link #onStream}).
 *
 * <p>{@link JobStore} applies these rules in SQL, one guarded statement per write (so that replicas writing at the
 * same time cannot move a job backwards), with the guards built from {@link #transition}; {@link #apply} states the
 * same rules in Java, and the tests check that the two agree for every status, event and sequence.
 */
public final class JobStateMachine {

    /** How an event's sequence number decides between applying it and ignoring it as a duplicate or a late one. */
    public enum SequenceRule {
        /**
         * Applied when newer than the last applied event, or when from another worker than the stored one: a job
         * redelivered to another generator is a new attempt, which takes the job over (its worker and its sequence).
         */
        NEWER_OR_NEW_ATTEMPT,
        /**
         * Applied when newer than the last applied event and of the stored attempt (the same worker, or a worker
         * unknown on either side).
         */
        NEWER_IN_SAME_ATTEMPT,
        /** Applied whatever its sequence and worker: the end of a job is final even when it overtook progress. */
        ANY
    }

    /** What an event does to a stored job that is in one of the {@code from} statuses. */
    public record Transition(Set<JobStatus> from, JobStatus to, SequenceRule rule) {
        public Transition {
            from = Set.copyOf(from);
        }
    }

    /** What these rules look at in a stored job. @param workerId null until a generator has reported */
    public record StoredJob(JobStatus status, long lastSequence, String workerId) {
    }

    /** What an SSE stream does with an event. */
    public enum StreamStep {
        SEND, SEND_AND_END, SKIP, END
    }

    /** A new job is stored with this status (and sequence 0). */
    public static final JobStatus INITIAL = QUEUED;

    /**
     * A job that the broker did not take (a nack, a return, no confirm in time) fails, but only while it is queued:
     * after a confirm timeout the message may still have reached a generator, and a job that reported is running.
     */
    public static final Transition UNQUEUED = new Transition(Set.of(QUEUED), FAILED, SequenceRule.ANY);

    /** A job past its queue or run deadline fails, whatever its generator says later (see {@code JobStore}). */
    public static final Transition EXPIRED = new Transition(Set.of(QUEUED, RUNNING), FAILED, SequenceRule.ANY);

    /**
     * The sequence of an end the gateway decides itself (a deadline): the highest, so that it is newer than anything
     * a client was sent, and nothing from a generator can follow it.
     */
    public static final long GATEWAY_SEQUENCE = Long.MAX_VALUE;

    private static final Set<JobStatus> ACTIVE = EnumSet.of(QUEUED, RUNNING);
    private static final Map<JobEventType, Transition> TRANSITIONS = new EnumMap<>(Map.of(
            // A generator's QUEUED (none sends one today) changes nothing: the gateway stored the job queued itself.
            JobEventType.QUEUED, new Transition(Set.of(), QUEUED, SequenceRule.ANY),
            // PROGRESS also starts a queued job: its RUNNING may come later, or be lost with a replica.
            JobEventType.RUNNING, new Transition(ACTIVE, RUNNING, SequenceRule.NEWER_OR_NEW_ATTEMPT),
            JobEventType.PROGRESS, new Transition(ACTIVE, RUNNING, SequenceRule.NEWER_IN_SAME_ATTEMPT),
            JobEventType.SUCCEEDED, new Transition(ACTIVE, SUCCEEDED, SequenceRule.ANY),
            JobEventType.FAILED, new Transition(ACTIVE, FAILED, SequenceRule.ANY),
            JobEventType.CANCELLED, new Transition(ACTIVE, CANCELLED, SequenceRule.ANY)));
    private static final Set<JobStatus> TERMINAL = statusesNothingLeaves();

    private JobStateMachine() {
    }

    public static Transition transition(JobEventType type) {
        return TRANSITIONS.get(type);
    }

    /** The status an event announces (the status of its SSE event). */
    public static JobStatus statusAfter(JobEventType type) {
        return transition(type).to();
    }

    public static boolean isTerminal(JobStatus status) {
        return TERMINAL.contains(status);
    }

    /** Whether an event of this type can change a stored job at all. */
    public static boolean changesStoredJob(JobEventType type) {
        return !transition(type).from().isEmpty();
    }

    public static boolean endsJob(JobEventType type) {
        return isTerminal(statusAfter(type));
    }

    /** A cancel is recorded (and broadcast) until the job has ended; then there is nothing left to stop. */
    public static boolean canCancel(JobStatus status) {
        return !isTerminal(status);
    }

    /** What a stored job becomes on an event: the same job when the event is ignored. */
    public static StoredJob apply(StoredJob job, JobEventType type, long sequence, String workerId) {
        Transition transition = transition(type);
        if (!transition.from().contains(job.status()) || !admits(transition.rule(), job, sequence, workerId)) {
            return job;
        }
        return switch (transition.rule()) {
            case NEWER_OR_NEW_ATTEMPT -> new StoredJob(transition.to(), sequence, workerId);
            // The sequence never goes down within an attempt; the first worker heard of keeps the job.
            case NEWER_IN_SAME_ATTEMPT, ANY -> new StoredJob(transition.to(), Math.max(job.lastSequence(), sequence),
                    job.workerId() != null ? job.workerId() : workerId);
        };
    }

    /**
     * What a stream does with an event, by sequence alone: it sends what is newer than the last event the client
     * has (sent, or named by its Last-Event-ID), and ends at the first terminal event, even an old one (the client
     * has seen the end already: nothing more will come).
     */
    public static StreamStep onStream(long lastSentSequence, long sequence, boolean terminal) {
        if (sequence > lastSentSequence) {
            return terminal ? StreamStep.SEND_AND_END : StreamStep.SEND;
        }
        return terminal ? StreamStep.END : StreamStep.SKIP;
    }

    private static boolean admits(SequenceRule rule, StoredJob job, long sequence, String workerId) {
        boolean newer = sequence > job.lastSequence();
        return switch (rule) {
            case NEWER_OR_NEW_ATTEMPT -> newer || !Objects.equals(job.workerId(), workerId);
            case NEWER_IN_SAME_ATTEMPT -> newer
                    && (job.workerId() == null || workerId == null || job.workerId().equals(workerId));
            case ANY -> true;
        };
    }

    private static Set<JobStatus> statusesNothingLeaves() {
        Set<JobStatus> terminal = EnumSet.allOf(JobStatus.class);
        TRANSITIONS.values().forEach(transition -> terminal.removeAll(transition.from()));
        terminal.removeAll(UNQUEUED.from());
        return Set.copyOf(terminal);
    }
}
