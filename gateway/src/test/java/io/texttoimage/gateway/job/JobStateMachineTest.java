package io.texttoimage.gateway.job;

import io.texttoimage.contracts.JobEventType;
import io.texttoimage.gateway.job.JobStateMachine.StoredJob;
import io.texttoimage.gateway.job.JobStateMachine.StreamStep;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Every status against every event, in order, duplicated and out of order, from the same worker, another one and
 * an unknown one: the table below is the job's life cycle as the gateway has applied it since before the state
 * machine existed (JobStoreTransitionsTest checks that the SQL agrees).
 */
class JobStateMachineTest {
    /** The stored job the events meet: last event 5, from worker w1. */
    static final long LAST = 5;
    static final String WORKER = "w1";

    /** The sequence and worker of an event, relative to the stored job; the order of the table's columns. */
    record EventCase(String name, long sequence, String workerId) {
    }

    static final List<EventCase> CASES = List.of(
            new EventCase("newer", LAST + 1, WORKER),
            new EventCase("duplicate", LAST, WORKER),
            new EventCase("older", LAST - 1, WORKER),
            new EventCase("newer from another worker", LAST + 1, "w2"),
            new EventCase("older from another worker", LAST - 1, "w2"),
            new EventCase("newer from an unknown worker", LAST + 1, null));

    /** {@code -}: ignored; else {@code status@last_sequence:worker} after the event. */
    @ParameterizedTest(name = "{0} + {1}")
    @CsvSource(delimiter = '|', value = {
            // stored  | event     | newer          | duplicate      | older          | newer, w2      | older, w2      | newer, no worker
            "QUEUED    | QUEUED    | -              | -              | -              | -              | -              | -",
            "QUEUED    | RUNNING   | running@6:w1   | -              | -              | running@6:w2   | running@4:w2   | running@6:null",
            "QUEUED    | PROGRESS  | running@6:w1   | -              | -              | -              | -              | running@6:w1",
            "QUEUED    | SUCCEEDED | succeeded@6:w1 | succeeded@5:w1 | succeeded@5:w1 | succeeded@6:w1 | succeeded@5:w1 | succeeded@6:w1",
            "QUEUED    | FAILED    | failed@6:w1    | failed@5:w1    | failed@5:w1    | failed@6:w1    | failed@5:w1    | failed@6:w1",
            "QUEUED    | CANCELLED | cancelled@6:w1 | cancelled@5:w1 | cancelled@5:w1 | cancelled@6:w1 | cancelled@5:w1 | cancelled@6:w1",
            "RUNNING   | QUEUED    | -              | -              | -              | -              | -              | -",
            "RUNNING   | RUNNING   | running@6:w1   | -              | -              | running@6:w2   | running@4:w2   | running@6:null",
            "RUNNING   | PROGRESS  | running@6:w1   | -              | -              | -              | -              | running@6:w1",
            "RUNNING   | SUCCEEDED | succeeded@6:w1 | succeeded@5:w1 | succeeded@5:w1 | succeeded@6:w1 | succeeded@5:w1 | succeeded@6:w1",
            "RUNNING   | FAILED    | failed@6:w1    | failed@5:w1    | failed@5:w1    | failed@6:w1    | failed@5:w1    | failed@6:w1",
            "RUNNING   | CANCELLED | cancelled@6:w1 | cancelled@5:w1 | cancelled@5:w1 | cancelled@6:w1 | cancelled@5:w1 | cancelled@6:w1",
            "SUCCEEDED | QUEUED    | -              | -              | -              | -              | -              | -",
            "SUCCEEDED | RUNNING   | -              | -              | -              | -              | -              | -",
            "SUCCEEDED | PROGRESS  | -              | -              | -              | -              | -              | -",
            "SUCCEEDED | SUCCEEDED | -              | -              | -              | -              | -              | -",
            "SUCCEEDED | FAILED    | -              | -              | -              | -              | -              | -",
            "SUCCEEDED | CANCELLED | -              | -              | -              | -              | -              | -",
            "FAILED    | QUEUED    | -              | -              | -              | -              | -              | -",
            "FAILED    | RUNNING   | -              | -              | -              | -              | -              | -",
            "FAILED    | PROGRESS  | -              | -              | -              | -              | -              | -",
            "FAILED    | SUCCEEDED | -              | -              | -              | -              | -              | -",
            "FAILED    | FAILED    | -              | -              | -              | -              | -              | -",
            "FAILED    | CANCELLED | -              | -              | -              | -              | -              | -",
            "CANCELLED | QUEUED    | -              | -              | -              | -              | -              | -",
            "CANCELLED | RUNNING   | -              | -              | -              | -              | -              | -",
            "CANCELLED | PROGRESS  | -              | -              | -              | -              | -              | -",
            "CANCELLED | SUCCEEDED | -              | -              | -              | -              | -              | -",
            "CANCELLED | FAILED    | -              | -              | -              | -              | -              | -",
            "CANCELLED | CANCELLED | -              | -              | -              | -              | -              | -",
    })
    void everyEventOnAStoredJob(JobStatus stored, JobEventType type, String newer, String duplicate, String older,
                                String newerFromAnother, String olderFromAnother, String newerFromUnknown) {
        StoredJob job = new StoredJob(stored, LAST, WORKER);
        List<String> expected = List.of(newer, duplicate, older, newerFromAnother, olderFromAnother, newerFromUnknown);
        for (int i = 0; i < CASES.size(); i++) {
            EventCase event = CASES.get(i);
            StoredJob after = JobStateMachine.apply(job, type, event.sequence(), event.workerId());
            assertEquals(expected.get(i), after.equals(job) ? "-" : describe(after),
                    stored + " + " + type + " " + event.name());
        }
    }

    /** A job no generator has reported yet (as stored at submission: sequence 0, no worker). */
    @ParameterizedTest(name = "{0} on a job without worker")
    @CsvSource(delimiter = '|', value = {
            // event   | sequence 1 from w1 | sequence 0 from w1 | sequence 1, no worker | sequence 0, no worker
            "QUEUED    | -                  | -                  | -                     | -",
            "RUNNING   | running@1:w1       | running@0:w1       | running@1:null        | -",
            "PROGRESS  | running@1:w1       | -                  | running@1:null        | -",
            "SUCCEEDED | succeeded@1:w1     | succeeded@0:w1     | succeeded@1:null      | succeeded@0:null",
            "FAILED    | failed@1:w1        | failed@0:w1        | failed@1:null         | failed@0:null",
            "CANCELLED | cancelled@1:w1     | cancelled@0:w1     | cancelled@1:null      | cancelled@0:null",
    })
    void everyEventOnAJobWithoutWorker(JobEventType type, String first, String sameSequence, String firstUnknown,
                                       String sameSequenceUnknown) {
        StoredJob job = new StoredJob(JobStatus.QUEUED, 0, null);
        assertEquals(first, outcome(job, type, 1, WORKER));
        assertEquals(sameSequence, outcome(job, type, 0, WORKER));
        assertEquals(firstUnknown, outcome(job, type, 1, null));
        assertEquals(sameSequenceUnknown, outcome(job, type, 0, null));
    }

    @Test
    void theStatusEachEventAnnounces() {
        assertEquals(JobStatus.QUEUED, JobStateMachine.statusAfter(JobEventType.QUEUED));
        assertEquals(JobStatus.RUNNING, JobStateMachine.statusAfter(JobEventType.RUNNING));
        assertEquals(JobStatus.RUNNING, JobStateMachine.statusAfter(JobEventType.PROGRESS));
        assertEquals(JobStatus.SUCCEEDED, JobStateMachine.statusAfter(JobEventType.SUCCEEDED));
        assertEquals(JobStatus.FAILED, JobStateMachine.statusAfter(JobEventType.FAILED));
        assertEquals(JobStatus.CANCELLED, JobStateMachine.statusAfter(JobEventType.CANCELLED));
    }

    @Test
    void succeededFailedAndCancelledAreTerminalAndCannotBeCancelled() {
        Set<JobStatus> terminal = EnumSet.of(JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED);
        for (JobStatus status : JobStatus.values()) {
            assertEquals(terminal.contains(status), JobStateMachine.isTerminal(status), status.name());
            assertEquals(!terminal.contains(status), JobStateMachine.canCancel(status), status.name());
        }
    }

    @ParameterizedTest
    @EnumSource(JobEventType.class)
    void onlyQueuedEventsLeaveTheStoredJobAloneAndOnlyTheLastThreeEndIt(JobEventType type) {
        assertEquals(type != JobEventType.QUEUED, JobStateMachine.changesStoredJob(type), type.name());
        Set<JobEventType> ends = EnumSet.of(JobEventType.SUCCEEDED, JobEventType.FAILED, JobEventType.CANCELLED);
        assertEquals(ends.contains(type), JobStateMachine.endsJob(type), type.name());
    }

    @Test
    void aJobTheBrokerDidNotTakeFailsOnlyWhileQueued() {
        assertEquals(JobStatus.QUEUED, JobStateMachine.INITIAL);
        assertEquals(Set.of(JobStatus.QUEUED), JobStateMachine.UNQUEUED.from());
        assertEquals(JobStatus.FAILED, JobStateMachine.UNQUEUED.to());
    }

    /** An SSE stream by sequence alone: newer is sent, older or repeated is dropped, and any terminal event ends it. */
    @ParameterizedTest(name = "last sent {0}, event {1}, terminal {2}")
    @CsvSource({
            "5, 6, false, SEND",
            "5, 6, true,  SEND_AND_END",
            "5, 5, false, SKIP",
            "5, 5, true,  END",
            "5, 4, false, SKIP",
            "5, 4, true,  END",
            "-1, 0, false, SEND",   // a new client (no Last-Event-ID) gets the stored state of a queued job
            "-1, 0, true, SEND_AND_END",
    })
    void everyEventOnAStream(long lastSent, long sequence, boolean terminal, StreamStep step) {
        assertEquals(step, JobStateMachine.onStream(lastSent, sequence, terminal));
    }

    private static String outcome(StoredJob job, JobEventType type, long sequence, String workerId) {
        StoredJob after = JobStateMachine.apply(job, type, sequence, workerId);
        return after.equals(job) ? "-" : describe(after);
    }

    static String describe(StoredJob job) {
        return job.status().apiName() + "@" + job.lastSequence() + ":" + job.workerId();
    }
}
