package io.texttoimage.gateway.quota;

import io.texttoimage.gateway.auth.Caller;

/**
 * The limits that apply to one caller: its API key's own where it has them, the configured defaults otherwise.
 *
 * @param imagesPerDay null: no daily limit
 */
record QuotaLimits(int maxActiveJobs, int submissionsPerMinute, Integer imagesPerDay) {

    QuotaLimits {
        requirePositive("max-active-jobs", maxActiveJobs);
        requirePositive("submissions-per-minute", submissionsPerMinute);
        if (imagesPerDay != null) {
            requirePositive("images-per-day", imagesPerDay);
        }
    }

    static QuotaLimits of(QuotaConfig defaults, Caller.QuotaOverrides overrides) {
        Caller.QuotaOverrides own = overrides != null ? overrides : Caller.QuotaOverrides.NONE;
        return new QuotaLimits(
                own.maxActiveJobs() != null ? own.maxActiveJobs() : defaults.maxActiveJobs(),
                own.submissionsPerMinute() != null ? own.submissionsPerMinute() : defaults.submissionsPerMinute(),
                own.imagesPerDay() != null ? own.imagesPerDay() : defaults.imagesPerDay().orElse(null));
    }

    private static void requirePositive(String name, int value) {
        if (value < 1) {
            throw new IllegalStateException("The quota " + name + " must be at least 1, not " + value
                    + " (t2i.gateway.quotas." + name + ", or the API key's own limit)");
        }
    }
}
