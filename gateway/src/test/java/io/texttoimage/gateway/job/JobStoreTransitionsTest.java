package io.texttoimage.gateway.job;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.texttoimage.contracts.JobEvent;
import io.texttoimage.contracts.JobEventType;
import io.texttoimage.gateway.GatewayTestResources;
import io.texttoimage.gateway.job.JobStateMachine.StoredJob;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static io.texttoimage.gateway.job.JobStateMachineTest.CASES;
import static io.texttoimage.gateway.job.JobStateMachineTest.LAST;
import static io.texttoimage.gateway.job.JobStateMachineTest.WORKER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * The SQL of {@link JobStore} against the state machine, on the real PostgreSQL: every stored status against every
 * event and every sequence case of {@link JobStateMachineTest}, each on a row of its own, must leave the row exactly
 * as {@link JobStateMachine#apply} says (status, last sequence, worker).
 */
@QuarkusTest
@WithTestResource(GatewayTestResources.class)
class JobStoreTransitionsTest {
    @Inject
    JobStore store;
    @Inject
    Pool pool;

    @Test
    void theStoredRowFollowsTheStateMachineForEveryStatusEventAndSequence() {
        List<String> disagreements = new ArrayList<>();
        for (JobStatus status : JobStatus.values()) {
            for (JobEventType type : JobEventType.values()) {
                for (JobStateMachineTest.EventCase event : CASES) {
                    check(new StoredJob(status, LAST, WORKER), type, event.sequence(), event.workerId(),
                            event.name(), disagreements);
                }
                // As stored at submission: no event yet, no worker.
                check(new StoredJob(status, 0, null), type, 0, null, "sequence 0 on a job without worker",
                        disagreements);
                check(new StoredJob(status, 0, null), type, 0, WORKER, "sequence 0 from w1 on a job without worker",
                        disagreements);
            }
        }
        assertEquals(List.of(), disagreements);
    }

    @Test
    void aJobTheBrokerDidNotTakeIsFailedOnlyWhileQueued() {
        for (JobStatus status : JobStatus.values()) {
            UUID id = storedJob(new StoredJob(status, LAST, WORKER));
            store.markUnqueued(id, "not taken").await().indefinitely();
            JobStatus expected = JobStateMachine.UNQUEUED.from().contains(status) ? JobStateMachine.UNQUEUED.to()
                    : status;
            assertEquals(expected, stored(id).status(), "mark unqueued on " + status);
        }
    }

    @Test
    void aQueuedEventHasNoStatementBecauseItChangesNothing() {
        // The persister skips it (nothing to write); the table above covers it through the state machine.
        assertFalse(JobStateMachine.changesStoredJob(JobEventType.QUEUED));
    }

    private void check(StoredJob before, JobEventType type, long sequence, String workerId, String name,
                       List<String> disagreements) {
        if (!JobStateMachine.changesStoredJob(type)) {
            return; // nothing in the store applies it
        }
        UUID id = storedJob(before);
        apply(new JobEvent(JobEvent.SCHEMA_VERSION, id, type, sequence, 1, 10, workerId,
                type == JobEventType.SUCCEEDED ? List.of("images/" + id + "/0.png") : null,
                type == JobEventType.FAILED ? "failed" : null, null, null, null, Instant.now()));
        StoredJob expected = JobStateMachine.apply(before, type, sequence, workerId);
        StoredJob actual = stored(id);
        if (!expected.equals(actual)) {
            disagreements.add(JobStateMachineTest.describe(before) + " + " + type + " " + name
                    + ": SQL gave " + JobStateMachineTest.describe(actual)
                    + ", state machine " + JobStateMachineTest.describe(expected));
        }
    }

    private void apply(JobEvent event) {
        switch (event.type()) {
            case RUNNING -> store.applyRunning(event).await().indefinitely();
            case PROGRESS -> store.applyProgress(List.of(event), java.time.Duration.ofSeconds(5)).await().indefinitely();
            default -> store.applyTerminal(event).await().indefinitely();
        }
    }

    /** A new job, then set to the status, sequence and worker under test. */
    private UUID storedJob(StoredJob state) {
        Job job = new Job();
        job.id = UUID.randomUUID();
        job.owner = "state-machine-test";
        job.status = JobStateMachine.INITIAL;
        job.prompt = "state machine";
        job.numSteps = 10;
        job.guidanceScale = 7.5;
        job.numImages = 1;
        job.totalSteps = 10;
        job.createdAt = Instant.now().truncatedTo(ChronoUnit.MICROS);
        job.updatedAt = job.createdAt;
        store.insertQueued(job).await().indefinitely();
        pool.preparedQuery("UPDATE generated_images SET status = $2, last_sequence = $3, worker_id = $4 WHERE id = $1")
                .execute(Tuple.of(job.id, state.status().name(), state.lastSequence(), state.workerId()))
                .await().indefinitely();
        return job.id;
    }

    private StoredJob stored(UUID id) {
        Row row = pool.preparedQuery("SELECT status, last_sequence, worker_id FROM generated_images WHERE id = $1")
                .execute(Tuple.of(id)).await().indefinitely().iterator().next();
        return new StoredJob(JobStatus.valueOf(row.getString("status")), row.getLong("last_sequence"),
                row.getString("worker_id"));
    }
}
