package io.texttoimage.gateway.auth;

import io.quarkus.test.junit.QuarkusTestProfile;

import java.util.List;
import java.util.Map;

/**
 * The gateway as in production: authentication on, with a test secret, bootstrap admin key and JWTs, and the
 * production quota defaults instead of the %test profile's unreachable ones, plus a daily image limit (unset in
 * production) so that this limit's default is exercised too. One profile for every test that needs real callers:
 * each profile restarts Quarkus.
 */
public class AuthEnabled implements QuarkusTestProfile {
    static final String SECRET = "test-server-secret-0123456789abcdefghij";
    static final String BOOTSTRAP_ADMIN_KEY = "test-bootstrap-admin-key-0123456789abcdef";
    static final int STREAM_TOKEN_TTL_SECONDS = 3;
    public static final int MAX_ACTIVE_JOBS = 20;
    public static final int SUBMISSIONS_PER_MINUTE = 120;
    public static final int IMAGES_PER_DAY = 40;

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of("t2i.gateway.auth.enabled", "true",
                "t2i.gateway.auth.secret", SECRET,
                "t2i.gateway.auth.bootstrap-admin-key", BOOTSTRAP_ADMIN_KEY,
                "t2i.gateway.auth.stream-token-ttl", "PT" + STREAM_TOKEN_TTL_SECONDS + "S",
                "t2i.gateway.auth.jwt.enabled", "true",
                "t2i.gateway.quotas.max-active-jobs", String.valueOf(MAX_ACTIVE_JOBS),
                "t2i.gateway.quotas.submissions-per-minute", String.valueOf(SUBMISSIONS_PER_MINUTE),
                "t2i.gateway.quotas.images-per-day", String.valueOf(IMAGES_PER_DAY));
    }

    @Override
    public List<TestResourceEntry> testResources() {
        return List.of(new TestResourceEntry(JwtSigningKeys.class));
    }
}
