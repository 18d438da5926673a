package io.texttoimage.gateway.job;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.smallrye.mutiny.Uni;
import io.texttoimage.contracts.JobEvent;
import io.texttoimage.contracts.JobEventType;
import io.texttoimage.contracts.PromptTruncation;
import io.texttoimage.gateway.auth.Caller;
import io.texttoimage.gateway.job.JobStateMachine.Transition;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;

/**
 * Writes new jobs and job events to PostgreSQL with plain SQL on the reactive client: each event is one guarded,
 * idempotent update whose guard comes from {@link JobStateMachine} (the statuses the event leaves, its sequence
 * rule), so redelivered, duplicated or reordered events and concurrent gateway replicas cannot move a job
 * backwards. No ORM session is needed, which keeps these writes safe outside HTTP requests (message consumers,
 * timers). Every statement that changes a job's status or progress also enqueues the job's webhook delivery for
 * that change ({@link WebhookDeliveries#enqueueing}): only the writer that changed the row inserts one.
 */
@ApplicationScoped
public class JobStore {
    private static final Transition RUNNING = JobStateMachine.transition(JobEventType.RUNNING);
    private static final Transition PROGRESS = JobStateMachine.transition(JobEventType.PROGRESS);

    private static final String APPLY_RUNNING = WebhookDeliveries.enqueueing("""
            UPDATE generated_images SET status = '%s', started_at = COALESCE(started_at, $2),
                width = COALESCE($3, width), height = COALESCE($4, height), scheduler = COALESCE($5, scheduler),
                current_step = $7, total_steps = CASE WHEN $8 > 0 THEN $8 ELSE total_steps END,
                progress = $9, prompt_truncation = $11::text::jsonb, attempts = GREATEST(attempts, $12::int), %s,
                updated_at = now()
            WHERE id = $1 AND %s
            RETURNING cancel_requested""".formatted(RUNNING.to().name(),
            TransitionSql.sequenceAndWorker(RUNNING, "", "$10", "$6"), TransitionSql.admits(RUNNING, "", "$10", "$6")),
            "", WebhookEvent.RUNNING, null);

    /**
     * One statement for any number of jobs: the coalesced progress of one flush interval ($8: seconds between two
     * progress webhooks of a job).
     */
    private static final String APPLY_PROGRESS = WebhookDeliveries.enqueueing("""
            UPDATE generated_images g SET status = '%s', current_step = u.step,
                total_steps = CASE WHEN u.total_steps > 0 THEN u.total_steps ELSE g.total_steps END,
                progress = u.progress, %s,
                started_at = COALESCE(g.started_at, u.at), updated_at = now()
            FROM unnest($1::uuid[], $2::int[], $3::int[], $4::int[], $5::bigint[], $6::text[], $7::timestamptz[])
                AS u(id, step, total_steps, progress, sequence, worker_id, at)
            WHERE g.id = u.id AND %s
            RETURNING g.id, g.cancel_requested""".formatted(PROGRESS.to().name(),
            TransitionSql.sequenceAndWorker(PROGRESS, "g.", "u.sequence", "u.worker_id"),
            TransitionSql.admits(PROGRESS, "g.", "u.sequence", "u.worker_id")), "g.", WebhookEvent.PROGRESS, "$8");

    /** One statement per event type that ends a job ($2: the status it ends in). */
    private static final Map<JobEventType, String> APPLY_TERMINAL = terminalStatements();

    private static final String MARK_UNQUEUED = WebhookDeliveries.enqueueing("""
            UPDATE generated_images SET status = '%s', error = $2, finished_at = now(), updated_at = now()
            WHERE id = $1 AND %s RETURNING id""".formatted(JobStateMachine.UNQUEUED.to().name(),
            TransitionSql.admits(JobStateMachine.UNQUEUED, "", "NULL", "NULL")), "", WebhookEvent.COMPLETED, null);

    private static final String INSERT_QUEUED = """
            INSERT INTO generated_images (id, status, prompt, negative_prompt, num_steps, guidance_scale, width, height,
                scheduler, seed, num_images, total_steps, created_at, updated_at, queue_timeout_s, run_timeout_s,
                webhook_url, webhook_events, previews, owner)
            VALUES ($1, '%s', $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $13, $14, $15, $16, $17, $18)""".formatted(
            JobStateMachine.INITIAL.name());

    /**
     * Inserts the job only if its idempotency key ($15 owner, $16 key) is free or older than $18 seconds ($19, $20:
     * the webhook; $21: previews): both rows in one statement, so concurrent duplicates on any replica create one job (the second
     * waits for the first's key and then inserts nothing). The key's owner is the job's owner.
     */
    private static final String INSERT_QUEUED_WITH_KEY = """
            WITH claimed AS (
                INSERT INTO idempotency_keys (owner, key, request_hash, job_id, created_at)
                VALUES ($15, $16, $17, $1, now())
                ON CONFLICT (owner, key) DO UPDATE
                    SET request_hash = EXCLUDED.request_hash, job_id = EXCLUDED.job_id, created_at = now()
                    WHERE idempotency_keys.created_at < now() - make_interval(secs => $18)
                RETURNING job_id)
            INSERT INTO generated_images (id, status, prompt, negative_prompt, num_steps, guidance_scale, width, height,
                scheduler, seed, num_images, total_steps, created_at, updated_at, queue_timeout_s, run_timeout_s,
                webhook_url, webhook_events, previews, owner)
            SELECT $1::uuid, '%s', $2::text, $3::text, $4::int, $5::float8, $6::int, $7::int, $8::text, $9::bigint,
                $10::int, $11::int, $12::timestamptz, $12::timestamptz, $13::int, $14::int, $19::text, $20::text[],
                $21::boolean, $15::text
            FROM claimed""".formatted(JobStateMachine.INITIAL.name());

    /**
     * Serializes the submissions of one owner ($1) until the end of the transaction, on every replica: the quota's
     * counts that follow see every job of the owner committed before. The first key spaces these locks apart from
     * any other advisory lock; two owners whose names hash alike merely wait for each other.
     */
    private static final String LOCK_OWNER = "SELECT pg_advisory_xact_lock(%d, hashtext($1))".formatted(
            0x74326971); // "t2iq"

    /** Whether the owner's key is held by a job younger than $3 seconds (a replay, not a new submission). */
    private static final String KEY_HELD = """
            SELECT 1 FROM idempotency_keys
            WHERE owner = $1 AND key = $2 AND created_at >= now() - make_interval(secs => $3)""";

    private static final String FIND_IDEMPOTENCY_KEY = """
            SELECT job_id, request_hash FROM idempotency_keys WHERE owner = $1 AND key = $2""";

    private static final String DELETE_IDEMPOTENCY_KEY = """
            DELETE FROM idempotency_keys WHERE owner = $1 AND key = $2 AND job_id = $3""";

    private static final String DELETE_EXPIRED_IDEMPOTENCY_KEYS = """
            DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(secs => $1)""";

    private static final String FAIL_UNPUBLISHED = WebhookDeliveries.enqueueing("""
            UPDATE generated_images SET status = '%s', error = $2, finished_at = now(), updated_at = now()
            WHERE published_at IS NULL AND status = '%s' AND created_at < now() - make_interval(secs => $1)
            RETURNING id""".formatted(JobStateMachine.UNQUEUED.to().name(), JobStateMachine.INITIAL.name()),
            "", WebhookEvent.COMPLETED, null);

    /**
     * Fails every job past a deadline: queued longer than its queue timeout, or running longer than its run timeout.
     * The end is the gateway's, so it takes the highest sequence: no event of the job can follow it.
     */
    private static final String EXPIRE = WebhookDeliveries.enqueueing("""
            UPDATE generated_images SET status = '%1$s', finished_at = now(), updated_at = now(),
                last_sequence = %2$d,
                error = CASE WHEN status = 'QUEUED'
                    THEN 'The job expired in the queue: no generator started it within ' || queue_timeout_s || ' s.'
                    ELSE 'The job was stopped: it ran longer than its run timeout of ' || run_timeout_s || ' s.' END
            WHERE %3$s AND (
                (status = 'QUEUED' AND created_at < now() - make_interval(secs => queue_timeout_s))
                OR (status = 'RUNNING' AND started_at < now() - make_interval(secs => run_timeout_s)))
            RETURNING id, status, current_step, total_steps, progress, error, last_sequence""".formatted(
            JobStateMachine.EXPIRED.to().name(), JobStateMachine.GATEWAY_SEQUENCE,
            TransitionSql.admits(JobStateMachine.EXPIRED, "", "NULL", "NULL")), "", WebhookEvent.COMPLETED, null);

    private static final String MARK_PUBLISHED = """
            UPDATE generated_images SET published_at = now() WHERE id = ANY($1) AND published_at IS NULL""";
    /**
     * One job per execution, by key equality: a plan PostgreSQL caches for it looks the row up by its primary key
     * whatever the table's size when it was planned. The {@code = ANY($1)} form above, planned once for a table still
     * small (a generic plan assumes ten array elements, costed against ten pages), stayed a sequential scan when no
     * ANALYZE came to replace it (autovacuum off, as on the development machine): every submission scanned the table.
     */
    private static final String MARK_ONE_PUBLISHED = """
            UPDATE generated_images SET published_at = now() WHERE id = $1 AND published_at IS NULL""";

    /**
     * Queued jobs whose publish was never confirmed, between $1 and $3 seconds old, oldest first; locked so that one
     * replica handles each. Older ones are left to {@link #failUnpublishedOlderThan}.
     */
    private static final String LOCK_UNPUBLISHED = """
            SELECT id, prompt, negative_prompt, num_steps, guidance_scale, width, height, scheduler, seed, num_images,
                created_at, previews
            FROM generated_images
            WHERE published_at IS NULL AND status = '%s' AND created_at < now() - make_interval(secs => $1)
                AND created_at >= now() - make_interval(secs => $3)
            ORDER BY created_at LIMIT $2
            FOR UPDATE SKIP LOCKED""".formatted(JobStateMachine.INITIAL.name());

    private static final String CURRENT_STATE = """
            SELECT status, current_step, total_steps, progress, image_keys, error, last_sequence,
                prompt_truncation::text AS prompt_truncation
            FROM generated_images WHERE id = $1""";

    private static final String FIND = """
            SELECT id, status, prompt, negative_prompt, num_steps, guidance_scale, width, height, scheduler, seed,
                num_images, progress, current_step, total_steps, error, image_keys, worker_id, last_sequence,
                attempts, cancel_requested, created_at, started_at, finished_at, updated_at, queue_timeout_s,
                run_timeout_s, prompt_truncation::text AS prompt_truncation, webhook_url, webhook_events, previews,
                owner
            FROM generated_images WHERE id = $1""";

    private static final String EXISTS = "SELECT 1 FROM generated_images WHERE id = $1";

    private static final String RUNNING_ON = """
            SELECT id, worker_id, updated_at FROM generated_images WHERE status = '%s' AND worker_id = ANY($1)"""
            .formatted(JobStatus.RUNNING.name());

    /** The queue in FIFO order (index-only on generated_images_queue_idx): what a queue forecast is made of. */
    private static final String QUEUED_IN_ORDER = """
            SELECT id, created_at, width, height, num_steps, num_images FROM generated_images
            WHERE status = '%s' ORDER BY created_at, id""".formatted(JobStatus.QUEUED.name());

    private static final String RUNNING_JOBS = """
            SELECT id, worker_id, current_step, total_steps, started_at, width, height, num_images
            FROM generated_images WHERE status = '%s'""".formatted(JobStatus.RUNNING.name());

    private final Pool pool;
    private final ObjectMapper json;

    public JobStore(Pool pool, ObjectMapper json) {
        this.pool = pool;
        this.json = json;
    }

    /** Applies a RUNNING event; yields whether a cancel was requested for the job (empty if ignored). */
    public Uni<Optional<Boolean>> applyRunning(JobEvent event) {
        Tuple params = Tuple.tuple(Arrays.asList(event.jobId(), time(event.at()), event.width(), event.height(),
                event.scheduler(), event.workerId(), event.step(), event.totalSteps(),
                JobSnapshot.percent(event.step(), event.totalSteps()), event.sequence(),
                promptTruncationJson(event.promptTruncation()), event.attempt()));
        return pool.preparedQuery(APPLY_RUNNING).execute(params)
                .map(rows -> rows.size() == 0 ? Optional.empty()
                        : Optional.of(rows.iterator().next().getBoolean("cancel_requested")));
    }

    /**
     * Applies the latest PROGRESS event of several jobs at once, enqueueing a progress webhook for those that asked
     * for one and had none within {@code webhookInterval}; yields the ids of those with a cancel request.
     */
    public Uni<List<UUID>> applyProgress(Collection<JobEvent> latestPerJob, Duration webhookInterval) {
        int n = latestPerJob.size();
        UUID[] ids = new UUID[n];
        Integer[] steps = new Integer[n];
        Integer[] totals = new Integer[n];
        Integer[] percents = new Integer[n];
        Long[] sequences = new Long[n];
        String[] workers = new String[n];
        OffsetDateTime[] times = new OffsetDateTime[n];
        int i = 0;
        for (JobEvent event : latestPerJob) {
            ids[i] = event.jobId();
            steps[i] = event.step();
            totals[i] = event.totalSteps();
            percents[i] = JobSnapshot.percent(event.step(), event.totalSteps());
            sequences[i] = event.sequence();
            workers[i] = event.workerId();
            times[i] = time(event.at());
            i++;
        }
        Tuple params = Tuple.tuple(Arrays.asList(ids, steps, totals, percents, sequences, workers, times,
                webhookInterval.toMillis() / 1000.0));
        return pool.preparedQuery(APPLY_PROGRESS).execute(params).map(JobStore::cancelRequestedIds);
    }

    /** Applies SUCCEEDED, FAILED or CANCELLED; yields whether the row changed (false if already terminal). */
    public Uni<Boolean> applyTerminal(JobEvent event) {
        JobStatus status = JobStateMachine.statusAfter(event.type());
        boolean succeeded = event.type() == JobEventType.SUCCEEDED;
        String[] keys = event.imageKeys() == null ? null : event.imageKeys().toArray(String[]::new);
        Tuple params = Tuple.tuple(Arrays.asList(event.jobId(), status.name(), event.step(), event.totalSteps(),
                succeeded ? 100 : null, event.type() == JobEventType.FAILED ? event.error() : null,
                succeeded ? keys : null, time(event.at()), event.sequence(), event.workerId(), event.attempt()));
        return pool.preparedQuery(APPLY_TERMINAL.get(event.type())).execute(params).map(rows -> rows.rowCount() > 0);
    }

    /**
     * Inserts a new queued job in one auto-committed statement: the submission hot path, where an ORM
     * transaction would cost two more round trips (BEGIN, COMMIT) per request. The job is not yet published
     * ({@code published_at} is null) until {@link #markPublished} records the broker's confirm.
     */
    public Uni<Void> insertQueued(Job job) {
        return pool.preparedQuery(INSERT_QUEUED).execute(plainInsertParameters(job)).replaceWithVoid();
    }

    /**
     * Inserts a new queued job, under its idempotency key if it has one, once {@code quota} has admitted it, all in
     * one transaction that first locks the job's owner: the owner's concurrent submissions, on any replica, are
     * counted one after the other. A key held by a fresh job is a replay: it yields false, is not counted and
     * inserts nothing. A refusal of the quota fails the returned Uni and rolls everything back.
     */
    public Uni<Boolean> insertQueued(Job job, Optional<IdempotencyKey> key, Duration keyLifetime,
                                     SubmissionQuota quota, Caller caller) {
        return pool.withTransaction(connection -> connection.preparedQuery(LOCK_OWNER).execute(Tuple.of(job.owner))
                .chain(() -> key.isEmpty() ? Uni.createFrom().item(false) : connection.preparedQuery(KEY_HELD)
                        .execute(Tuple.of(key.get().owner(), key.get().key(), (double) keyLifetime.toSeconds()))
                        .map(rows -> rows.size() > 0))
                .chain(held -> held ? Uni.createFrom().item(false) : quota.admit(connection, job, caller)
                        .chain(() -> key.isEmpty()
                                ? connection.preparedQuery(INSERT_QUEUED).execute(plainInsertParameters(job))
                                .replaceWith(true)
                                : connection.preparedQuery(INSERT_QUEUED_WITH_KEY)
                                .execute(keyedInsertParameters(job, key.get(), keyLifetime))
                                .map(rows -> rows.rowCount() > 0))));
    }

    /**
     * Inserts a new queued job under an idempotency key; yields false, inserting nothing, when the key is held by
     * a job younger than {@code keyLifetime} (see {@link #findIdempotencyKey}).
     */
    public Uni<Boolean> insertQueued(Job job, IdempotencyKey key, Duration keyLifetime) {
        return pool.preparedQuery(INSERT_QUEUED_WITH_KEY).execute(keyedInsertParameters(job, key, keyLifetime))
                .map(rows -> rows.rowCount() > 0);
    }

    private static Tuple plainInsertParameters(Job job) {
        return insertParameters(job).addString(job.webhookUrl).addArrayOfString(job.webhookEvents)
                .addBoolean(Boolean.TRUE.equals(job.previews)).addString(job.owner);
    }

    private static Tuple keyedInsertParameters(Job job, IdempotencyKey key, Duration keyLifetime) {
        if (!key.owner().equals(job.owner)) {
            throw new IllegalArgumentException("the idempotency key of " + key.owner() + " on a job of " + job.owner);
        }
        return insertParameters(job).addString(key.owner()).addString(key.key())
                .addString(key.requestHash()).addDouble((double) keyLifetime.toSeconds())
                .addString(job.webhookUrl).addArrayOfString(job.webhookEvents)
                .addBoolean(Boolean.TRUE.equals(job.previews));
    }

    /** The job holding an idempotency key and the fingerprint of its request, or empty if the key is free. */
    public Uni<Optional<HeldKey>> findIdempotencyKey(IdempotencyKey key) {
        return pool.preparedQuery(FIND_IDEMPOTENCY_KEY).execute(Tuple.of(key.owner(), key.key()))
                .map(rows -> rows.size() == 0 ? Optional.<HeldKey>empty() : Optional.of(new HeldKey(
                        rows.iterator().next().getUUID("job_id"), rows.iterator().next().getString("request_hash"))));
    }

    /** Who holds an idempotency key. */
    public record HeldKey(UUID jobId, String requestHash) {
    }

    /** Frees a key whose job was refused, so that the client's retry with the same key makes a new job. */
    public Uni<Void> releaseIdempotencyKey(IdempotencyKey key, UUID jobId) {
        return pool.preparedQuery(DELETE_IDEMPOTENCY_KEY).execute(Tuple.of(key.owner(), key.key(), jobId))
                .replaceWithVoid();
    }

    /** Forgets keys older than their lifetime; yields how many. */
    public Uni<Integer> deleteExpiredIdempotencyKeys(Duration keyLifetime) {
        return pool.preparedQuery(DELETE_EXPIRED_IDEMPOTENCY_KEYS).execute(Tuple.of((double) keyLifetime.toSeconds()))
                .map(RowSet::rowCount);
    }

    /**
     * Records that the broker confirmed these jobs' messages: one statement per job, sent together in one round trip
     * and committed together ({@link #MARK_ONE_PUBLISHED} says why not one statement for all).
     */
    public Uni<Void> markPublished(List<UUID> jobIds) {
        return pool.preparedQuery(MARK_ONE_PUBLISHED).executeBatch(jobIds.stream().map(Tuple::of).toList())
                .replaceWithVoid();
    }

    /**
     * Locks up to {@code limit} queued jobs between {@code minAge} and {@code maxAge} old whose publish was never
     * confirmed, hands them
     * to {@code publish} (which yields the ids it published) and marks those published, all in one transaction:
     * rows another replica is handling are skipped, and a replica that dies mid-way releases its locks unmarked.
     * Yields the jobs found and the ids published.
     */
    public Uni<Unpublished> republishUnconfirmed(Duration minAge, Duration maxAge, int limit,
                                                 Function<List<Job>, Uni<List<UUID>>> publish) {
        return pool.withTransaction(connection -> connection.preparedQuery(LOCK_UNPUBLISHED)
                .execute(Tuple.of((double) minAge.toMillis() / 1000.0, limit, (double) maxAge.toSeconds()))
                .flatMap(rows -> {
                    List<Job> jobs = new ArrayList<>();
                    rows.forEach(row -> jobs.add(toUnpublishedJob(row)));
                    if (jobs.isEmpty()) {
                        return Uni.createFrom().item(new Unpublished(jobs, List.of()));
                    }
                    return publish.apply(jobs).flatMap(published -> published.isEmpty()
                            ? Uni.createFrom().item(new Unpublished(jobs, published))
                            : connection.preparedQuery(MARK_PUBLISHED)
                                    .execute(Tuple.of(published.toArray(UUID[]::new)))
                                    .replaceWith(new Unpublished(jobs, published)));
                }));
    }

    /** Fails the queued jobs whose publish was not confirmed within {@code maxAge}; yields their ids. */
    public Uni<List<UUID>> failUnpublishedOlderThan(Duration maxAge, String reason) {
        return pool.preparedQuery(FAIL_UNPUBLISHED).execute(Tuple.of((double) maxAge.toSeconds(), reason))
                .map(rows -> {
                    List<UUID> ids = new ArrayList<>();
                    rows.forEach(row -> ids.add(row.getUUID("id")));
                    return ids;
                });
    }

    /** Fails the jobs past their queue or run deadline (see {@link #EXPIRE}); yields their new state. */
    public Uni<List<JobSnapshot>> expireOverdue() {
        return pool.preparedQuery(EXPIRE).execute().map(rows -> {
            List<JobSnapshot> expired = new ArrayList<>();
            rows.forEach(row -> expired.add(new JobSnapshot(row.getUUID("id"), JobStatus.valueOf(row.getString("status")),
                    row.getInteger("current_step"), row.getInteger("total_steps"), row.getInteger("progress"),
                    List.of(), row.getString("error"), row.getLong("last_sequence"), null)));
            return expired;
        });
    }

    /** What one outbox pass found and published. */
    public record Unpublished(List<Job> found, List<UUID> published) {
    }

    /** Fails a job that could not be handed to the broker, so that it is not left queued forever. */
    public Uni<Void> markUnqueued(UUID jobId, String reason) {
        return pool.preparedQuery(MARK_UNQUEUED).execute(Tuple.of(jobId, reason)).replaceWithVoid();
    }

    /** Where the job stands now, or null for an unknown id. */
    public Uni<JobSnapshot> currentState(UUID jobId) {
        return pool.preparedQuery(CURRENT_STATE).execute(Tuple.of(jobId)).map(rows -> {
            if (rows.size() == 0) {
                return null;
            }
            Row row = rows.iterator().next();
            String[] keys = row.getArrayOfStrings("image_keys");
            return new JobSnapshot(jobId, JobStatus.valueOf(row.getString("status")),
                    row.getInteger("current_step"), row.getInteger("total_steps"), row.getInteger("progress"),
                    keys == null ? List.of() : List.of(keys), row.getString("error"), row.getLong("last_sequence"),
                    promptTruncation(row));
        });
    }

    /** A running job and its worker, as its row says. */
    public record RunningJob(UUID id, String workerId, Instant updatedAt) {
    }

    /** The jobs the database says are running on one of these workers. */
    public Uni<List<RunningJob>> runningOn(List<String> workerIds) {
        return pool.preparedQuery(RUNNING_ON).execute(Tuple.of(workerIds.toArray(String[]::new))).map(rows -> {
            List<RunningJob> running = new ArrayList<>();
            rows.forEach(row -> running.add(new RunningJob(row.getUUID("id"), row.getString("worker_id"),
                    instant(row.getOffsetDateTime("updated_at")))));
            return running;
        });
    }

    /** A queued job as far as its place and its cost are concerned. */
    public record QueuedJob(UUID id, Instant createdAt, Integer width, Integer height, int numSteps, int numImages) {
    }

    /** Every queued job, first in line first. */
    public Uni<List<QueuedJob>> queuedInOrder() {
        return pool.preparedQuery(QUEUED_IN_ORDER).execute().map(rows -> {
            List<QueuedJob> queued = new ArrayList<>(rows.size());
            rows.forEach(row -> queued.add(new QueuedJob(row.getUUID("id"), instant(row.getOffsetDateTime("created_at")),
                    row.getInteger("width"), row.getInteger("height"), row.getInteger("num_steps"),
                    row.getInteger("num_images"))));
            return queued;
        });
    }

    /** A running job as its row says: how far it is and since when. */
    public record RunningProgress(UUID id, String workerId, int step, int totalSteps, Instant startedAt, Integer width,
                                  Integer height, int numImages) {
    }

    /** Every running job. */
    public Uni<List<RunningProgress>> runningJobs() {
        return pool.preparedQuery(RUNNING_JOBS).execute().map(rows -> {
            List<RunningProgress> running = new ArrayList<>(rows.size());
            rows.forEach(row -> running.add(new RunningProgress(row.getUUID("id"), row.getString("worker_id"),
                    row.getInteger("current_step"), row.getInteger("total_steps"),
                    instant(row.getOffsetDateTime("started_at")), row.getInteger("width"), row.getInteger("height"),
                    row.getInteger("num_images"))));
            return running;
        });
    }

    /** Whether the job's row exists. */
    public Uni<Boolean> exists(UUID jobId) {
        return pool.preparedQuery(EXISTS).execute(Tuple.of(jobId)).map(rows -> rows.size() > 0);
    }

    /**
     * The job's row as a detached entity, or null for an unknown id: one prepared statement on the reactive pool,
     * for the status read hot path, where a Hibernate Reactive session per request cost more CPU than the query.
     */
    public Uni<Job> find(UUID jobId) {
        return pool.preparedQuery(FIND).execute(Tuple.of(jobId))
                .map(rows -> rows.size() == 0 ? null : toEntity(rows.iterator().next()));
    }

    private static Tuple insertParameters(Job job) {
        return Tuple.tuple(Arrays.asList(job.id, job.prompt, job.negativePrompt, job.numSteps, job.guidanceScale,
                job.width, job.height, job.scheduler, job.seed, job.numImages, job.totalSteps, time(job.createdAt),
                job.queueTimeoutSeconds, job.runTimeoutSeconds));
    }

    /** The fields of a queued job that its message carries. */
    private static Job toUnpublishedJob(Row row) {
        Job job = new Job();
        readRequest(row, job);
        job.status = JobStateMachine.INITIAL;
        return job;
    }

    /** What the client asked for, and when: the columns a job's message is made of. */
    private static void readRequest(Row row, Job job) {
        job.id = row.getUUID("id");
        job.prompt = row.getString("prompt");
        job.negativePrompt = row.getString("negative_prompt");
        job.numSteps = row.getInteger("num_steps");
        job.guidanceScale = row.getDouble("guidance_scale");
        job.width = row.getInteger("width");
        job.height = row.getInteger("height");
        job.scheduler = row.getString("scheduler");
        job.seed = row.getLong("seed");
        job.numImages = row.getInteger("num_images");
        job.createdAt = instant(row.getOffsetDateTime("created_at"));
        job.previews = row.getBoolean("previews");
    }

    private static Map<JobEventType, String> terminalStatements() {
        Map<JobEventType, String> statements = new EnumMap<>(JobEventType.class);
        for (JobEventType type : JobEventType.values()) {
            if (JobStateMachine.endsJob(type)) {
                Transition transition = JobStateMachine.transition(type);
                statements.put(type, WebhookDeliveries.enqueueing("""
                        UPDATE generated_images SET status = $2, current_step = GREATEST(current_step, $3),
                            total_steps = CASE WHEN $4 > 0 THEN $4 ELSE total_steps END,
                            progress = COALESCE($5::int, progress), error = $6,
                            image_keys = COALESCE($7::text[], image_keys), finished_at = $8,
                            attempts = GREATEST(attempts, $11::int), %s, updated_at = now()
                        WHERE id = $1 AND %s RETURNING id""".formatted(
                        TransitionSql.sequenceAndWorker(transition, "", "$9", "$10"),
                        TransitionSql.admits(transition, "", "$9", "$10")), "", WebhookEvent.COMPLETED, null));
            }
        }
        return statements;
    }

    private String promptTruncationJson(PromptTruncation truncation) {
        try {
            return truncation == null ? null : json.writeValueAsString(truncation);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("A prompt truncation cannot be written as JSON", e);
        }
    }

    private PromptTruncation promptTruncation(Row row) {
        String stored = row.getString("prompt_truncation");
        try {
            return stored == null ? null : json.readValue(stored, PromptTruncation.class);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("The stored prompt_truncation is not readable JSON", e);
        }
    }

    private Job toEntity(Row row) {
        Job job = new Job();
        readRequest(row, job);
        job.status = JobStatus.valueOf(row.getString("status"));
        job.progress = row.getInteger("progress");
        job.currentStep = row.getInteger("current_step");
        job.totalSteps = row.getInteger("total_steps");
        job.error = row.getString("error");
        String[] keys = row.getArrayOfStrings("image_keys");
        job.imageKeys = keys == null ? new String[0] : keys;
        job.workerId = row.getString("worker_id");
        job.lastSequence = row.getLong("last_sequence");
        job.attempts = row.getInteger("attempts");
        job.cancelRequested = row.getBoolean("cancel_requested");
        job.startedAt = instant(row.getOffsetDateTime("started_at"));
        job.finishedAt = instant(row.getOffsetDateTime("finished_at"));
        job.updatedAt = instant(row.getOffsetDateTime("updated_at"));
        job.queueTimeoutSeconds = row.getInteger("queue_timeout_s");
        job.runTimeoutSeconds = row.getInteger("run_timeout_s");
        job.promptTruncation = promptTruncation(row);
        job.webhookUrl = row.getString("webhook_url");
        job.webhookEvents = row.getArrayOfStrings("webhook_events");
        job.owner = row.getString("owner");
        return job;
    }

    private static Instant instant(OffsetDateTime time) {
        return time == null ? null : time.toInstant();
    }

    private static List<UUID> cancelRequestedIds(RowSet<Row> rows) {
        List<UUID> ids = new ArrayList<>();
        for (Row row : rows) {
            if (row.getBoolean("cancel_requested")) {
                ids.add(row.getUUID("id"));
            }
        }
        return ids;
    }

    private static OffsetDateTime time(Instant at) {
        return (at != null ? at : Instant.now()).atOffset(ZoneOffset.UTC);
    }
}
