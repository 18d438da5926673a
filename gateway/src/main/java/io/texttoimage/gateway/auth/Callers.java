package io.texttoimage.gateway.auth;

import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.runtime.QuarkusPrincipal;
import io.quarkus.security.runtime.QuarkusSecurityIdentity;

import java.security.Principal;
import java.util.Optional;

/** How a {@link Caller} travels in a {@link SecurityIdentity}: an attribute, plus the admin role for path rules. */
final class Callers {
    /** The role of admin callers: {@code /admin/**} needs it ({@code quarkus.http.auth.policy.t2i-admin}). */
    static final String ADMIN_ROLE = "admin";
    private static final String ATTRIBUTE = Caller.class.getName();
    /** Owner of the bootstrap admin key's caller. */
    static final String BOOTSTRAP_OWNER = "admin";
    static final Caller BOOTSTRAP_ADMIN = new Caller(BOOTSTRAP_OWNER, true, Optional.empty(),
            Caller.QuotaOverrides.NONE);

    private Callers() {
    }

    static SecurityIdentity identity(Caller caller) {
        return identity(new QuarkusPrincipal(caller.owner()), caller).build();
    }

    /** A new identity for the caller; roles come only from {@link Caller#admin()}, never from the credential. */
    static QuarkusSecurityIdentity.Builder identity(Principal principal, Caller caller) {
        QuarkusSecurityIdentity.Builder builder = QuarkusSecurityIdentity.builder().setPrincipal(principal)
                .addAttribute(ATTRIBUTE, caller);
        if (caller.admin()) {
            builder.addRole(ADMIN_ROLE);
        }
        return builder;
    }

    static Optional<Caller> of(SecurityIdentity identity) {
        return Optional.ofNullable(identity.getAttribute(ATTRIBUTE));
    }
}
