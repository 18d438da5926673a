package io.texttoimage.gateway.job;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;

/**
 * The table {@code webhook_deliveries}: one row per webhook message of a job, with its attempts. Rows are inserted
 * only by the statements that change a job ({@link #enqueueing}, used by {@link JobStore}): a delivery is enqueued
 * in the same statement, hence the same transaction, as the state change it reports, so it exists exactly once per
 * change whichever replica (or path: the persister, the read-your-writes terminal write, the deadline check) made
 * it. The relay ({@code webhook.WebhookRelay}) sends them through {@link #sendDue}.
 */
@ApplicationScoped
public class WebhookDeliveries {

    /**
     * The due deliveries, oldest first, locked so that one replica sends each. A delivery waits while an earlier one
     * of its job is still pending (being retried), so a job's receiver gets its events in order.
     */
    private static final String LOCK_DUE = """
            SELECT d.message_id, d.job_id, d.event, d.attempts, d.enqueued_at, d.payload, g.webhook_url
            FROM webhook_deliveries d JOIN generated_images g ON g.id = d.job_id
            WHERE d.next_attempt_at <= now()
                AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e WHERE e.job_id = d.job_id
                    AND e.next_attempt_at IS NOT NULL AND e.enqueued_at < d.enqueued_at)
            ORDER BY d.next_attempt_at LIMIT $1
            FOR UPDATE OF d SKIP LOCKED""";

    private static final String RECORD_ATTEMPT = """
            UPDATE webhook_deliveries SET attempts = attempts + 1, last_status = $2, last_error = $3,
                last_attempt_at = now(), payload = COALESCE(payload, $4), next_attempt_at = $5,
                delivered_at = CASE WHEN $6::boolean THEN now() END,
                given_up_at = CASE WHEN $7::boolean THEN now() END
            WHERE message_id = $1""";

    /** The latest delivery of each event of these jobs. */
    private static final String OF_JOBS = """
            SELECT DISTINCT ON (job_id, event) job_id, event, attempts, last_status, last_error, delivered_at,
                given_up_at
            FROM webhook_deliveries WHERE job_id = ANY($1) ORDER BY job_id, event, enqueued_at DESC""";

    private final Pool pool;

    public WebhookDeliveries(Pool pool) {
        this.pool = pool;
    }

    /**
     * {@code update}, a guarded UPDATE of {@code generated_images} ending in a RETURNING clause, extended so that the
     * same statement enqueues {@code event}'s delivery for every row it changed whose job asked for that event. The
     * statement still yields the rows of its RETURNING clause (plus two columns of its own).
     *
     * @param row              the updated table's alias with its dot, or empty
     * @param progressInterval for {@link WebhookEvent#PROGRESS}: the parameter ({@code $n}) holding the seconds
     *                         that must pass between two progress deliveries of a job; null for the other events
     */
    static String enqueueing(String update, String row, WebhookEvent event, String progressInterval) {
        String changed = "WITH changed AS (\n" + update + ", " + row + "id AS webhook_job_id, " + row
                + "webhook_events AS webhook_events)";
        String name = "'" + event.apiName() + "'";
        String insert = """
                INSERT INTO webhook_deliveries (message_id, job_id, event, enqueued_at, next_attempt_at)
                SELECT gen_random_uuid(), c.webhook_job_id, %1$s, now(), now() FROM changed c
                WHERE %1$s = ANY(c.webhook_events) AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d
                    WHERE d.job_id = c.webhook_job_id AND d.event = %1$s%2$s)""";
        if (event != WebhookEvent.PROGRESS) {
            // at most once per job (a new attempt's RUNNING does not call again); the NOT EXISTS reads without
            // waiting for a relay that holds the row, the index catches a race
            return changed + ",\nwebhook_enqueued AS (" + insert.formatted(name, "")
                    + "\nON CONFLICT (job_id, event) WHERE event <> 'progress' DO NOTHING)\nSELECT * FROM changed";
        }
        // the latest progress only: none while one is pending or younger than the interval; the finished one
        // before it is deleted (plain reads and deletes of rows no relay holds: nothing here waits for a send)
        String throttle = " AND (d.next_attempt_at IS NOT NULL OR d.enqueued_at > now() - make_interval(secs => "
                + progressInterval + "))";
        return changed + ",\nwebhook_replaced AS (DELETE FROM webhook_deliveries d USING changed c"
                + " WHERE d.job_id = c.webhook_job_id AND d.event = " + name + " AND d.next_attempt_at IS NULL"
                + " AND d.enqueued_at <= now() - make_interval(secs => " + progressInterval + ")),\n"
                + "webhook_enqueued AS (" + insert.formatted(name, throttle) + ")\nSELECT * FROM changed";
    }

    /** Where one delivery of a job stands, as the record shows it. */
    public record Delivery(WebhookEvent event, int attempts, Integer lastStatus, String lastError,
                           Instant deliveredAt, Instant givenUpAt) {
    }

    /** The latest delivery of each event of these jobs, in event order; jobs without any are absent. */
    public Uni<Map<UUID, List<Delivery>>> of(Collection<UUID> jobIds) {
        if (jobIds.isEmpty()) {
            return Uni.createFrom().item(Map.of());
        }
        return pool.preparedQuery(OF_JOBS).execute(Tuple.of(jobIds.toArray(UUID[]::new))).map(rows -> {
            Map<UUID, List<Delivery>> byJob = new HashMap<>();
            for (Row row : rows) {
                byJob.computeIfAbsent(row.getUUID("job_id"), id -> new ArrayList<>()).add(new Delivery(
                        WebhookEvent.valueOf(row.getString("event").toUpperCase(java.util.Locale.ROOT)),
                        row.getInteger("attempts"), row.getInteger("last_status"), row.getString("last_error"),
                        instant(row.getOffsetDateTime("delivered_at")), instant(row.getOffsetDateTime("given_up_at"))));
            }
            byJob.values().forEach(list -> list.sort(Comparator.comparing(Delivery::event)));
            return byJob;
        });
    }

    /** A delivery to send now. {@code payload} is null before its first attempt. */
    public record Due(UUID messageId, UUID jobId, WebhookEvent event, int attempts, Instant enqueuedAt,
                      String payload, String url) {
    }

    /**
     * What one attempt gave.
     *
     * @param payload       the body sent (kept for the next attempts)
     * @param status        the receiver's HTTP status; null when there was no answer
     * @param error         why it failed; null when delivered
     * @param nextAttemptAt when to try again; null when delivered or given up
     */
    public record Attempt(UUID messageId, String payload, Integer status, String error, Instant nextAttemptAt,
                          boolean delivered) {
        public boolean givenUp() {
            return !delivered && nextAttemptAt == null;
        }
    }

    /**
     * Locks up to {@code limit} due deliveries (see {@link #LOCK_DUE}), hands them to {@code send} and records what
     * each attempt gave, all in one transaction: deliveries another replica is sending are skipped, and a replica
     * that dies mid-way releases its locks with nothing recorded, so the delivery is sent again (at least once).
     */
    public Uni<List<Attempt>> sendDue(int limit, Function<List<Due>, Uni<List<Attempt>>> send) {
        return pool.withTransaction(connection -> connection.preparedQuery(LOCK_DUE).execute(Tuple.of(limit))
                .flatMap(rows -> {
                    List<Due> due = new ArrayList<>();
                    rows.forEach(row -> due.add(new Due(row.getUUID("message_id"), row.getUUID("job_id"),
                            WebhookEvent.valueOf(row.getString("event").toUpperCase(java.util.Locale.ROOT)),
                            row.getInteger("attempts"), instant(row.getOffsetDateTime("enqueued_at")),
                            row.getString("payload"), row.getString("webhook_url"))));
                    if (due.isEmpty()) {
                        return Uni.createFrom().item(List.<Attempt>of());
                    }
                    return send.apply(due).call(attempts -> attempts.isEmpty() ? Uni.createFrom().voidItem()
                            : connection.preparedQuery(RECORD_ATTEMPT).executeBatch(attempts.stream()
                                    .map(WebhookDeliveries::attemptParameters).toList()));
                }));
    }

    private static Tuple attemptParameters(Attempt attempt) {
        return Tuple.tuple(Arrays.asList(attempt.messageId(), attempt.status(), attempt.error(), attempt.payload(),
                attempt.nextAttemptAt() == null ? null : attempt.nextAttemptAt().atOffset(ZoneOffset.UTC),
                attempt.delivered(), attempt.givenUp()));
    }

    private static Instant instant(OffsetDateTime time) {
        return time == null ? null : time.toInstant();
    }
}
