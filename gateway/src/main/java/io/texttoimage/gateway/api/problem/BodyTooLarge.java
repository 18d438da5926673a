package io.texttoimage.gateway.api.problem;

import io.quarkus.runtime.configuration.MemorySize;
import io.quarkus.vertx.http.runtime.RouteConstants;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * A request whose Content-Length exceeds {@code quarkus.http.limits.max-body-size} gets a 413 problem+json before a
 * byte of its body is read. Quarkus answers such a request itself (its upload limit, route order -2), but with an
 * empty body; this route runs just before it. The connection is closed: the unread body would otherwise have to be
 * drained first.
 */
@ApplicationScoped
public class BodyTooLarge {
    private final long maxBodySize;
    private final RouteProblems problems;

    BodyTooLarge(@ConfigProperty(name = "quarkus.http.limits.max-body-size") MemorySize maxBodySize,
                 RouteProblems problems) {
        this.maxBodySize = maxBodySize.asLongValue();
        this.problems = problems;
    }

    void register(@Observes Router router) {
        router.route().order(RouteConstants.ROUTE_ORDER_UPLOAD_LIMIT - 1).handler(this::refuseOversized);
    }

    private void refuseOversized(RoutingContext context) {
        String length = context.request().getHeader(HttpHeaders.CONTENT_LENGTH);
        if (length == null || !isLongerThanLimit(length.trim())) {
            context.next();
            return;
        }
        Problem problem = new Problem(Problem.TYPE_BASE + "body-too-large", "Request body too large", 413,
                "The request body has " + length.trim() + " bytes; this API accepts at most " + maxBodySize
                        + " bytes (quarkus.http.limits.max-body-size).", context.request().path(), null);
        if (context.request().version() != HttpVersion.HTTP_2) { // HTTP/2 has no Connection header: its stream is reset
            context.response().putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE);
        }
        problems.send(context, problem);
    }

    private boolean isLongerThanLimit(String length) {
        try {
            return Long.parseLong(length) > maxBodySize;
        } catch (NumberFormatException e) {
            return false; // not a number: Vert.x refuses the request as malformed itself
        }
    }
}
