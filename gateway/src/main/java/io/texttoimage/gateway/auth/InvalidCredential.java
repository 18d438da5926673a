package io.texttoimage.gateway.auth;

import io.quarkus.security.AuthenticationFailedException;

import java.util.Map;
import java.util.Optional;

/**
 * A credential was sent but is not accepted. The refusals of this package carry a detail for the 401 that says why
 * (unknown, expired, revoked, malformed), never the credential itself.
 */
final class InvalidCredential {
    private static final String DETAIL = InvalidCredential.class.getName() + ".detail";

    private InvalidCredential() {
    }

    static AuthenticationFailedException of(String detail) {
        return new AuthenticationFailedException(detail, Map.of(DETAIL, detail));
    }

    /** The detail of one of this package's refusals; empty for others' (SmallRye JWT's). */
    static Optional<String> detail(AuthenticationFailedException failure) {
        return Optional.ofNullable(failure.getAttribute(DETAIL));
    }
}
