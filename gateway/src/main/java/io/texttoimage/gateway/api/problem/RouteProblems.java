package io.texttoimage.gateway.api.problem;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Writes a problem+json answer straight on a Vert.x route, for the refusals made before Quarkus REST (and so
 * {@link ProblemMappers}) sees a request: an oversized body, a missing or refused credential, a forbidden path.
 * The same rules as {@link ProblemMappers#respond}: every 503 carries {@code Retry-After}.
 */
@ApplicationScoped
public class RouteProblems {
    private final ObjectMapper json;

    RouteProblems(ObjectMapper json) {
        this.json = json;
    }

    /** Ends the response with {@code problem}, unless it has already ended. */
    public void send(RoutingContext context, Problem problem) {
        if (context.response().ended()) {
            return;
        }
        context.response().setStatusCode(problem.status()).putHeader(HttpHeaders.CONTENT_TYPE, Problem.MEDIA_TYPE);
        if (problem.status() == 503) {
            context.response().putHeader("Retry-After", String.valueOf(ProblemMappers.RETRY_AFTER_SECONDS));
        }
        try {
            context.response().end(json.writeValueAsString(problem));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("A problem record is always serialisable", e);
        }
    }
}
