package io.texttoimage.gateway.auth;

import io.quarkus.test.junit.QuarkusTestProfile;

import java.util.List;
import java.util.Map;

/** The gateway as in production: authentication on, with a test secret, bootstrap admin key and JWTs. */
public class AuthEnabled implements QuarkusTestProfile {
    static final String SECRET = "test-server-secret-0123456789abcdefghij";
    static final String BOOTSTRAP_ADMIN_KEY = "test-bootstrap-admin-key-0123456789abcdef";
    static final int STREAM_TOKEN_TTL_SECONDS = 3;

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of("t2i.gateway.auth.enabled", "true",
                "t2i.gateway.auth.secret", SECRET,
                "t2i.gateway.auth.bootstrap-admin-key", BOOTSTRAP_ADMIN_KEY,
                "t2i.gateway.auth.stream-token-ttl", "PT" + STREAM_TOKEN_TTL_SECONDS + "S",
                "t2i.gateway.auth.jwt.enabled", "true");
    }

    @Override
    public List<TestResourceEntry> testResources() {
        return List.of(new TestResourceEntry(JwtSigningKeys.class));
    }
}
