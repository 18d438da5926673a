package io.texttoimage.gateway.auth;

import io.quarkus.security.identity.AuthenticationRequestContext;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.identity.SecurityIdentityAugmentor;
import io.smallrye.mutiny.Uni;
import io.texttoimage.gateway.config.GatewayConfig;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.jwt.JsonWebToken;

import java.util.Optional;

/**
 * Turns a verified JWT into a {@link Caller}: the owner from the configured claim, admin when its {@code groups}
 * hold the configured admin group. The identity is rebuilt so that the token's groups grant no role of their own
 * (a group named {@code admin} is not the admin role).
 */
@ApplicationScoped
class JwtCallers implements SecurityIdentityAugmentor {
    private final GatewayConfig config;

    JwtCallers(GatewayConfig config) {
        this.config = config;
    }

    @Override
    public Uni<SecurityIdentity> augment(SecurityIdentity identity, AuthenticationRequestContext context) {
        if (!(identity.getPrincipal() instanceof JsonWebToken jwt) || Callers.of(identity).isPresent()) {
            return Uni.createFrom().item(identity);
        }
        GatewayConfig.Auth.Jwt settings = config.auth().jwt();
        Object owner = jwt.getClaim(settings.ownerClaim());
        String ownerText = owner == null ? "" : owner.toString().replaceAll("^\"|\"$", "");
        if (ownerText.isBlank()) {
            return Uni.createFrom().failure(InvalidCredential.of("The JWT has no '" + settings.ownerClaim()
                    + "' claim, which names its owner (t2i.gateway.auth.jwt.owner-claim)."));
        }
        boolean admin = jwt.getGroups() != null && jwt.getGroups().contains(settings.adminGroup());
        Caller caller = new Caller(ownerText, admin, Optional.empty(), Caller.QuotaOverrides.NONE);
        return Uni.createFrom().item(Callers.identity(jwt, caller).addCredentials(identity.getCredentials())
                .addAttributes(identity.getAttributes()).build());
    }
}
