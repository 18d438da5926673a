package io.texttoimage.gateway;

import io.quarkus.vertx.http.runtime.CurrentVertxRequest;
import io.texttoimage.gateway.auth.Caller;
import io.texttoimage.gateway.auth.CurrentCaller;
import io.quarkus.security.identity.SecurityIdentity;
import io.texttoimage.gateway.config.GatewayConfig;
import io.vertx.ext.web.RoutingContext;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.RequestScoped;
import jakarta.enterprise.inject.Alternative;
import jakarta.inject.Inject;

import java.util.Optional;

/**
 * TEST ONLY (src/test, never packaged): lets a test request say who calls, so that ownership and quotas can be tested
 * through the REST API before authentication exists. A request without {@link #OWNER} is whatever the real
 * {@link CurrentCaller} says (so every other test is unaffected). Headers:
 * <ul>
 * <li>{@link #OWNER}: the caller's owner;</li>
 * <li>{@link #ADMIN}: {@code true} for an admin caller;</li>
 * <li>{@link #QUOTAS}: the key's own limits, e.g. {@code active=2,minute=5,day=8} (each optional).</li>
 * </ul>
 */
@Alternative
@Priority(1)
@RequestScoped
public class TestCallers extends CurrentCaller {
    static final String OWNER = "X-Test-Owner";
    static final String ADMIN = "X-Test-Admin";
    static final String QUOTAS = "X-Test-Quotas";

    private final CurrentVertxRequest request;

    @Inject
    TestCallers(SecurityIdentity identity, GatewayConfig config, CurrentVertxRequest request) {
        super(identity, config);
        this.request = request;
    }

    @Override
    public Caller get() {
        RoutingContext context = request.getCurrent();
        String owner = context == null ? null : context.request().getHeader(OWNER);
        if (owner == null) {
            return super.get();
        }
        return new Caller(owner, "true".equals(context.request().getHeader(ADMIN)), Optional.empty(),
                overrides(context.request().getHeader(QUOTAS)));
    }

    private static Caller.QuotaOverrides overrides(String header) {
        Integer active = null;
        Integer minute = null;
        Integer day = null;
        if (header != null) {
            for (String part : header.split(",")) {
                String[] nameAndValue = part.trim().split("=");
                int value = Integer.parseInt(nameAndValue[1].trim());
                switch (nameAndValue[0].trim()) {
                    case "active" -> active = value;
                    case "minute" -> minute = value;
                    case "day" -> day = value;
                    default -> throw new IllegalArgumentException("unknown test quota " + part);
                }
            }
        }
        return new Caller.QuotaOverrides(active, minute, day);
    }
}
