package io.texttoimage.gateway.auth;

import io.texttoimage.gateway.config.GatewayConfig;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The start-up check: with authentication on, no gateway starts without a usable secret. */
class AuthSettingsTest {
    private static final String SECRET = "s".repeat(32);

    @Test
    void onWithoutASecretRefusesToStartAndSaysWhatToSet() {
        IllegalStateException refused = assertThrows(IllegalStateException.class,
                () -> AuthSettings.requireValid(auth(true, null, null)));
        assertTrue(refused.getMessage().contains("t2i.gateway.auth.secret"), refused.getMessage());
        assertTrue(refused.getMessage().contains("T2I_GATEWAY_AUTH_SECRET"), refused.getMessage());
        assertEquals(1, AuthSettings.errors(auth(true, "   ", null)).size());
    }

    @Test
    void aShortSecretOrBootstrapKeyIsRefused() {
        List<String> errors = AuthSettings.errors(auth(true, "s".repeat(31), "k".repeat(31)));
        assertEquals(2, errors.size(), errors.toString());
        assertTrue(errors.get(0).contains("has 31 characters; it needs at least 32"), errors.get(0));
        assertTrue(errors.get(1).contains("bootstrap-admin-key"), errors.get(1));
    }

    @Test
    void aLongEnoughSecretPassesAndOffNeedsNone() {
        assertEquals(List.of(), AuthSettings.errors(auth(true, SECRET, "k".repeat(32))));
        assertEquals(List.of(), AuthSettings.errors(auth(true, SECRET, null)));
        assertEquals(List.of(), AuthSettings.errors(auth(false, null, "short")));
    }

    private static GatewayConfig.Auth auth(boolean enabled, String secret, String bootstrapAdminKey) {
        return new GatewayConfig.Auth() {
            public boolean enabled() {
                return enabled;
            }

            public Optional<String> secret() {
                return Optional.ofNullable(secret);
            }

            public Optional<String> bootstrapAdminKey() {
                return Optional.ofNullable(bootstrapAdminKey);
            }

            public Duration streamTokenTtl() {
                return Duration.ofMinutes(5);
            }

            public Jwt jwt() {
                throw new UnsupportedOperationException("not read by the start-up check");
            }
        };
    }
}
