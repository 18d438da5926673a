package io.texttoimage.gateway.auth;

import io.smallrye.mutiny.Uni;
import io.vertx.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The {@code api_keys} table, in plain SQL on the reactive client (as {@code job.JobStore}): keys are found by the
 * HMAC of the presented key, so the key itself is never stored or compared.
 */
@ApplicationScoped
public class ApiKeys {
    private static final String COLUMNS = """
            id, name, owner, admin, created_at, last_used_at, expires_at, revoked_at, max_active_jobs,
            submissions_per_minute, images_per_day""";

    private static final String INSERT = """
            INSERT INTO api_keys (id, name, owner, admin, key_hash, created_at, expires_at, max_active_jobs,
                submissions_per_minute, images_per_day)
            VALUES ($1, $2, $3, $4, $5, now(), $6, $7, $8, $9)
            RETURNING %s""".formatted(COLUMNS);

    private static final String LIST = "SELECT %s FROM api_keys ORDER BY created_at DESC, id".formatted(COLUMNS);

    private static final String FIND_BY_HASH = "SELECT %s FROM api_keys WHERE key_hash = $1".formatted(COLUMNS);

    /** Revoking twice keeps the first time. */
    private static final String REVOKE = """
            UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1 RETURNING %s""".formatted(
            COLUMNS);

    /** At most one write a minute per key, however many replicas and requests use it. */
    private static final String TOUCH = """
            UPDATE api_keys SET last_used_at = now()
            WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')""";

    static final Duration TOUCH_INTERVAL = Duration.ofMinutes(1);

    private final Pool pool;

    public ApiKeys(Pool pool) {
        this.pool = pool;
    }

    /** Stores a new key under the HMAC of its text. */
    public Uni<ApiKey> create(ApiKey.Spec spec, byte[] keyHash) {
        Caller.QuotaOverrides limits = spec.limits();
        Tuple params = Tuple.of(UUID.randomUUID(), spec.name(), spec.owner(), spec.admin(), Buffer.buffer(keyHash))
                .addValue(offset(spec.expiresAt())).addValue(limits.maxActiveJobs())
                .addValue(limits.submissionsPerMinute()).addValue(limits.imagesPerDay());
        return pool.preparedQuery(INSERT).execute(params).map(rows -> of(rows.iterator().next()));
    }

    /** Every key, revoked and expired ones too, newest first. */
    public Uni<List<ApiKey>> list() {
        return pool.preparedQuery(LIST).execute().map(ApiKeys::all);
    }

    /** The key revoked (now, or when it was before); empty for an unknown id. */
    public Uni<Optional<ApiKey>> revoke(UUID id) {
        return pool.preparedQuery(REVOKE).execute(Tuple.of(id)).map(ApiKeys::first);
    }

    Uni<Optional<ApiKey>> findByHash(byte[] keyHash) {
        return pool.preparedQuery(FIND_BY_HASH).execute(Tuple.of(Buffer.buffer(keyHash))).map(ApiKeys::first);
    }

    /** Records that the key was used, if its last use is older than a minute. */
    Uni<Void> touch(UUID id) {
        return pool.preparedQuery(TOUCH).execute(Tuple.of(id)).replaceWithVoid();
    }

    private static List<ApiKey> all(RowSet<Row> rows) {
        return rows.stream().map(ApiKeys::of).toList();
    }

    private static Optional<ApiKey> first(RowSet<Row> rows) {
        return rows.size() == 0 ? Optional.empty() : Optional.of(of(rows.iterator().next()));
    }

    private static ApiKey of(Row row) {
        return new ApiKey(row.getUUID("id"), row.getString("name"), row.getString("owner"), row.getBoolean("admin"),
                instant(row.getOffsetDateTime("created_at")), instant(row.getOffsetDateTime("last_used_at")),
                instant(row.getOffsetDateTime("expires_at")), instant(row.getOffsetDateTime("revoked_at")),
                new Caller.QuotaOverrides(row.getInteger("max_active_jobs"), row.getInteger("submissions_per_minute"),
                        row.getInteger("images_per_day")));
    }

    private static Instant instant(OffsetDateTime time) {
        return time == null ? null : time.toInstant();
    }

    private static OffsetDateTime offset(Instant time) {
        return time == null ? null : time.atOffset(ZoneOffset.UTC);
    }
}
