package io.texttoimage.gateway.auth;

import java.util.Optional;
import java.util.UUID;

/**
 * Who is calling, as far as jobs are concerned: the owner of the jobs it creates and may see, whether it sees
 * everyone's (an admin key), which API key it used (none for a JWT or with authentication off) and the quota
 * overrides of that key.
 *
 * @param owner     the owner recorded on the jobs it submits: an API key's owner, or a JWT's owner claim
 * @param admin     sees and cancels every owner's jobs and manages API keys
 * @param keyId     the API key used, if one was
 * @param overrides the key's own limits where it has them; empty fields fall back to the configured defaults
 */
public record Caller(String owner, boolean admin, Optional<UUID> keyId, QuotaOverrides overrides) {

    /** The owner of jobs submitted with authentication off, and of the jobs stored before owners existed. */
    public static final String ANONYMOUS_OWNER = "anonymous";

    /** Every caller when authentication is off: one owner that sees everything, as before owners existed. */
    public static final Caller UNAUTHENTICATED = new Caller(ANONYMOUS_OWNER, true, Optional.empty(),
            QuotaOverrides.NONE);

    /** Whether this caller may see (read, follow, download, cancel) a job of {@code jobOwner}. */
    public boolean sees(String jobOwner) {
        return admin || owner.equals(jobOwner);
    }

    /** Per-key limits; a null field means the configured default applies. */
    public record QuotaOverrides(Integer maxActiveJobs, Integer submissionsPerMinute, Integer imagesPerDay) {
        public static final QuotaOverrides NONE = new QuotaOverrides(null, null, null);
    }
}
