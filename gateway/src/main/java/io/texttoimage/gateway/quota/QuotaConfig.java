package io.texttoimage.gateway.quota;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.util.Optional;

/**
 * Per-owner submission limits ({@code t2i.gateway.quotas.*}): the defaults for every owner; an API key's own limits
 * ({@code auth.Caller.QuotaOverrides}) win over them. Enforced in PostgreSQL ({@link OwnerQuotas}).
 */
@ConfigMapping(prefix = "t2i.gateway.quotas")
public interface QuotaConfig {

    /** Off: no limit is checked, and a submission is one auto-committed INSERT again. */
    @WithDefault("true")
    boolean enabled();

    /** Jobs of one owner queued or running at once. */
    @WithDefault("20")
    int maxActiveJobs();

    /** Submissions of one owner within any 60 seconds (a sliding window, not calendar minutes). */
    @WithDefault("120")
    int submissionsPerMinute();

    /** Images (num_images summed) one owner may ask for within any 24 hours; unset: no limit. */
    Optional<Integer> imagesPerDay();
}
