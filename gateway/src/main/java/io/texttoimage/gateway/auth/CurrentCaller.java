package io.texttoimage.gateway.auth;

import io.quarkus.security.UnauthorizedException;
import io.quarkus.security.identity.SecurityIdentity;
import io.texttoimage.gateway.config.GatewayConfig;
import jakarta.enterprise.context.RequestScoped;

/**
 * The caller of the current request, for the services that decide what it may see and do: the one its credential
 * names, or {@link Caller#UNAUTHENTICATED} for every request while authentication is off.
 */
@RequestScoped
public class CurrentCaller {
    private final SecurityIdentity identity;
    private final boolean authenticationOn;

    CurrentCaller(SecurityIdentity identity, GatewayConfig config) {
        this.identity = identity;
        this.authenticationOn = config.auth().enabled();
    }

    /**
     * @throws UnauthorizedException on a request without a credential while authentication is on: only public paths
     *                               admit those, and none of them asks who calls; failing beats seeing everything
     */
    public Caller get() {
        if (!authenticationOn) {
            return Caller.UNAUTHENTICATED;
        }
        return Callers.of(identity).orElseThrow(UnauthorizedException::new);
    }
}
