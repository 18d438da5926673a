package io.texttoimage.gateway.auth;

import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.ForbiddenException;
import io.texttoimage.gateway.api.problem.Problem;
import io.texttoimage.gateway.api.problem.RouteProblems;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.util.HashSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The 401 and 403 answers of authentication and of the path rules, as problem+json like every other answer. They
 * are written on the Vert.x route, before Quarkus REST (and so its exception mappers) sees the request.
 */
@ApplicationScoped
public class AuthProblems {
    private static final Logger LOG = Logger.getLogger(AuthProblems.class);
    /** Routing context key of the refusal of this request's credential, if it had one. */
    static final String FAILURE = AuthProblems.class.getName() + ".failure";
    static final String CHALLENGE = "Bearer realm=\"text-to-image\"";
    static final String INVALID_TOKEN_CHALLENGE = CHALLENGE + ", error=\"invalid_token\"";
    static final String MISSING_CREDENTIAL = "This API needs a credential: send an API key as 'Authorization: "
            + "Bearer t2i_…' (an admin creates keys with POST /admin/api-keys; the CLI takes --api-key or "
            + "T2I_API_KEY), or a JWT where the gateway accepts them.";

    private final RouteProblems problems;

    AuthProblems(RouteProblems problems) {
        this.problems = problems;
    }

    void register(@Observes Router router) {
        router.route().failureHandler(this::failed);
    }

    /** A 401: no credential, or a refused one (then the challenge says invalid_token and the detail why). */
    void unauthorized(RoutingContext context) {
        AuthenticationFailedException failure = context.get(FAILURE);
        if (KeyStoreUnavailable.isCause(failure)) {
            unavailable(context);
            return;
        }
        String detail = failure == null ? MISSING_CREDENTIAL : detail(failure);
        context.response().putHeader("WWW-Authenticate", challenge(context));
        problems.send(context, new Problem(Problem.TYPE_BASE + "unauthorized", "Unauthorized", 401, detail,
                context.request().path(), null));
    }

    static String challenge(RoutingContext context) {
        return context.get(FAILURE) == null ? CHALLENGE : INVALID_TOKEN_CHALLENGE;
    }

    /** The path rules' refusal of an authenticated caller (a non-admin on /admin); a key that could not be checked. */
    private void failed(RoutingContext context) {
        if (KeyStoreUnavailable.isCause(context.failure())) {
            unavailable(context);
            return;
        }
        if (!(context.failure() instanceof ForbiddenException)
                && !(context.failure() == null && context.statusCode() == 403)) {
            context.next();
            return;
        }
        problems.send(context, new Problem(Problem.TYPE_BASE + "forbidden", "Forbidden", 403,
                "Only admin callers (an admin API key, the bootstrap admin key or a JWT of the admin group) may use "
                        + context.request().path() + ".", context.request().path(), null));
    }

    private void unavailable(RoutingContext context) {
        LOG.debugf("API key lookup failed on %s: %s", context.request().path(), context.failure());
        problems.send(context, new Problem(Problem.TYPE_BASE + "database-unavailable", "Database unavailable", 503,
                "PostgreSQL, where the gateway keeps the API keys, cannot be reached right now, so the key could "
                        + "not be checked; nothing was done. Please retry later.", context.request().path(), null));
    }

    /**
     * What was wrong with the credential, without repeating it. Ours say it themselves; SmallRye JWT's failures
     * carry jose4j messages that quote the token's claims, so only their kind is told.
     */
    private static String detail(AuthenticationFailedException failure) {
        Optional<String> ours = InvalidCredential.detail(failure);
        if (ours.isPresent()) {
            return ours.get();
        }
        String causes = causes(failure).toLowerCase(Locale.ROOT);
        LOG.debugf("JWT refused: %s", causes);
        if (causes.contains("expiration time") || causes.contains("expired")) {
            return "The JWT has expired.";
        }
        if (causes.contains("issuer")) {
            return "The JWT's issuer is not the one this gateway accepts (mp.jwt.verify.issuer).";
        }
        if (causes.contains("signature")) {
            return "The JWT's signature does not verify with the key this gateway trusts.";
        }
        return "The bearer credential is neither an API key (t2i_…) nor a JWT this gateway accepts.";
    }

    private static String causes(Throwable failure) {
        StringBuilder text = new StringBuilder();
        Set<Throwable> seen = new HashSet<>();
        for (Throwable cause = failure; cause != null && seen.add(cause); cause = cause.getCause()) {
            text.append(cause.getMessage()).append("; ");
        }
        return text.toString();
    }
}
