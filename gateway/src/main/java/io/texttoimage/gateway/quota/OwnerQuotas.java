package io.texttoimage.gateway.quota;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import io.texttoimage.gateway.auth.Caller;
import io.texttoimage.gateway.job.Job;
import io.texttoimage.gateway.job.JobStatus;
import io.texttoimage.gateway.job.SubmissionQuota;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;

/**
 * The quotas of an owner, counted in PostgreSQL inside the transaction that stores the job, after
 * {@code job.JobStore} has locked the owner: every gateway replica counts the same committed rows, one submission of
 * an owner after the other, so a limit is exact however many replicas and concurrent requests there are. Nothing is
 * kept in memory. Only jobs stored count: a refused submission stores nothing and counts for nothing.
 *
 * <p>The sliding windows are measured on the jobs' {@code created_at}, which the submitting gateway stamps, against
 * the new job's own: replicas whose clocks differ by some milliseconds move a window's edge by that much.
 */
@ApplicationScoped
public class OwnerQuotas implements SubmissionQuota {
    static final Duration MINUTE = Duration.ofSeconds(60);
    static final Duration DAY = Duration.ofHours(24);
    /** Active jobs end when a generator finishes them, which no clock foretells: a short hint. */
    static final long ACTIVE_JOBS_RETRY_AFTER_SECONDS = 5;

    /**
     * $1 owner, $2 the new job's created_at, $3 submissions per minute, $4 images per day (null: none), $5 the new
     * job's images, $6 the most active jobs. active_jobs counts up to $6 only: an owner with a long queue (made while
     * quotas were off, or under a larger override) costs each submission the limit's rows, not the whole queue's.
     * Likewise the day's sum reads the newest $4 jobs at most: each has at least one image, so the job that frees
     * room is among them. Every part is bounded by a limit, whatever the owner's history. minute_full_since: the newest submission that, once out of the window, leaves room for one more
     * (null: there is room now). day_full_since: likewise for the images (null: room now, or no daily limit). Each
     * reads the owner's newest rows on generated_images_owner_created_idx; the active count reads the partial
     * generated_images_owner_active_idx. No upper bound on the windows: a concurrent submission stamped a moment
     * later than this one but committed before it counts too.
     */
    private static final String USAGE = """
            SELECT
                (SELECT count(*) FROM (SELECT 1 FROM generated_images
                     WHERE owner = $1 AND status IN ('%s', '%s') LIMIT $6::int) capped) AS active_jobs,
                (SELECT created_at FROM generated_images
                 WHERE owner = $1 AND created_at > $2::timestamptz - make_interval(secs => %d)
                 ORDER BY created_at DESC, id DESC OFFSET $3::int - 1 LIMIT 1) AS minute_full_since,
                (SELECT created_at FROM (
                     SELECT created_at, id, sum(num_images) OVER (ORDER BY created_at DESC, id DESC) AS images_since
                     FROM (SELECT created_at, id, num_images FROM generated_images
                           WHERE $4::int IS NOT NULL AND owner = $1
                               AND created_at > $2::timestamptz - make_interval(secs => %d)
                           ORDER BY created_at DESC, id DESC LIMIT $4::int) newest_jobs) newest
                 WHERE images_since + $5::int > $4::int
                 ORDER BY created_at DESC, id DESC LIMIT 1) AS day_full_since""".formatted(
            JobStatus.QUEUED.name(), JobStatus.RUNNING.name(), MINUTE.toSeconds(), DAY.toSeconds());

    private final QuotaConfig config;
    private final Map<QuotaLimit, Counter> refusals = new EnumMap<>(QuotaLimit.class);

    public OwnerQuotas(QuotaConfig config, MeterRegistry registry) {
        this.config = config;
        QuotaLimits.of(config, Caller.QuotaOverrides.NONE); // a wrong default fails the start, not a submission
        Arrays.stream(QuotaLimit.values()).forEach(limit -> refusals.put(limit,
                Counter.builder("t2i.gateway.quota.refusals").tag("limit", limit.apiName())
                        .description("Submissions refused by a quota (429)").register(registry)));
    }

    @Override
    public boolean enforced() {
        return config.enabled();
    }

    @Override
    public Uni<Void> admit(SqlConnection transaction, Job job, Caller caller) {
        QuotaLimits limits = QuotaLimits.of(config, caller.overrides());
        OffsetDateTime now = job.createdAt.atOffset(ZoneOffset.UTC);
        return transaction.preparedQuery(USAGE)
                .execute(Tuple.of(job.owner, now, limits.submissionsPerMinute(), limits.imagesPerDay(),
                        job.numImages, limits.maxActiveJobs()))
                .map(rows -> {
                    QuotaExceeded refusal = refusal(job, limits, rows.iterator().next());
                    if (refusal != null) {
                        refusals.get(refusal.limit()).increment();
                        throw refusal;
                    }
                    return null;
                });
    }

    /** The first limit the job would break, in the order active jobs, per minute, per day; null if none. */
    private static QuotaExceeded refusal(Job job, QuotaLimits limits, Row usage) {
        long active = usage.getLong("active_jobs");
        if (active >= limits.maxActiveJobs()) {
            return new QuotaExceeded(QuotaLimit.ACTIVE_JOBS, limits.maxActiveJobs(), ACTIVE_JOBS_RETRY_AFTER_SECONDS,
                    "Owner '" + job.owner + "' has " + limits.maxActiveJobs() + " jobs queued or running, the most "
                            + "allowed at once; submit again when one has finished.");
        }
        OffsetDateTime minuteFullSince = usage.getOffsetDateTime("minute_full_since");
        if (minuteFullSince != null) {
            long retry = secondsUntil(minuteFullSince.toInstant().plus(MINUTE), job.createdAt, MINUTE);
            return new QuotaExceeded(QuotaLimit.SUBMISSIONS_PER_MINUTE, limits.submissionsPerMinute(), retry,
                    "Owner '" + job.owner + "' submitted " + limits.submissionsPerMinute()
                            + " jobs within the last 60 seconds, the most allowed; retry in " + retry + " s.");
        }
        Integer imagesPerDay = limits.imagesPerDay();
        if (imagesPerDay != null && job.numImages > imagesPerDay) {
            return new QuotaExceeded(QuotaLimit.IMAGES_PER_DAY, imagesPerDay, DAY.toSeconds(),
                    "This job asks for " + job.numImages + " images, more than the " + imagesPerDay
                            + " owner '" + job.owner + "' may ask for within 24 hours; ask for fewer.");
        }
        OffsetDateTime dayFullSince = usage.getOffsetDateTime("day_full_since");
        if (dayFullSince != null) {
            long retry = secondsUntil(dayFullSince.toInstant().plus(DAY), job.createdAt, DAY);
            return new QuotaExceeded(QuotaLimit.IMAGES_PER_DAY, imagesPerDay, retry,
                    "Owner '" + job.owner + "' may ask for " + imagesPerDay + " images within 24 hours, and this "
                            + "job's " + job.numImages + " would be more; retry in " + retry + " s.");
        }
        return null;
    }

    /** Whole seconds from {@code now} until {@code free}, rounded up, between 1 and the window. */
    static long secondsUntil(Instant free, Instant now, Duration window) {
        long millis = Duration.between(now, free).toMillis();
        long seconds = Math.ceilDiv(millis, 1000L);
        return Math.max(1, Math.min(window.toSeconds(), seconds));
    }
}
