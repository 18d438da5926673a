package io.texttoimage.gateway.auth;

import io.quarkus.runtime.StartupEvent;
import io.texttoimage.gateway.config.GatewayConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.List;

/**
 * Checks {@code t2i.gateway.auth.*} when the gateway starts: with authentication on it refuses to start without a
 * usable server secret (there is no default to fall back on), and with it off it says so loudly.
 */
@ApplicationScoped
public class AuthSettings {
    private static final Logger LOG = Logger.getLogger(AuthSettings.class);
    static final int MIN_SECRET_LENGTH = 32;

    private final GatewayConfig config;

    AuthSettings(GatewayConfig config) {
        this.config = config;
    }

    void onStart(@Observes StartupEvent start) {
        if (!config.auth().enabled()) {
            LOG.warn("Authentication is OFF (t2i.gateway.auth.enabled=false): every request is served without a "
                    + "credential and sees every job. Never run a reachable gateway like this.");
            return;
        }
        LOG.infof("Authentication is on: API keys%s%s.",
                config.auth().bootstrapAdminKey().isPresent() ? ", the bootstrap admin key" : "",
                config.auth().jwt().enabled() ? ", JWTs" : "");
    }

    /** Throws, naming every problem, when the settings cannot protect the API. */
    static void requireValid(GatewayConfig.Auth auth) {
        List<String> errors = errors(auth);
        if (!errors.isEmpty()) {
            throw new IllegalStateException("The gateway cannot start: " + String.join(" ", errors));
        }
    }

    /** What is wrong with the settings; empty when nothing is (always, with authentication off). */
    static List<String> errors(GatewayConfig.Auth auth) {
        List<String> errors = new ArrayList<>();
        if (!auth.enabled()) {
            return errors;
        }
        if (auth.secret().isEmpty() || auth.secret().get().isBlank()) {
            errors.add("Authentication is on (t2i.gateway.auth.enabled) but no server secret is set: set "
                    + "t2i.gateway.auth.secret (T2I_GATEWAY_AUTH_SECRET) to at least " + MIN_SECRET_LENGTH
                    + " random characters, e.g. the output of 'openssl rand -base64 32'.");
        } else if (auth.secret().get().length() < MIN_SECRET_LENGTH) {
            errors.add("t2i.gateway.auth.secret (T2I_GATEWAY_AUTH_SECRET) has " + auth.secret().get().length()
                    + " characters; it needs at least " + MIN_SECRET_LENGTH + ".");
        }
        auth.bootstrapAdminKey().filter(key -> key.length() < MIN_SECRET_LENGTH).ifPresent(key -> errors.add(
                "t2i.gateway.auth.bootstrap-admin-key (T2I_GATEWAY_AUTH_BOOTSTRAP_ADMIN_KEY) has " + key.length()
                        + " characters; it needs at least " + MIN_SECRET_LENGTH + "."));
        return errors;
    }
}
