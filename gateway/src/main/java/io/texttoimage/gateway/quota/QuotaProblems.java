package io.texttoimage.gateway.quota;

import io.texttoimage.gateway.api.problem.Problem;
import io.vertx.core.http.HttpServerRequest;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** Answers a quota refusal: 429 problem+json with {@code Retry-After} (seconds). */
public class QuotaProblems {

    @ServerExceptionMapper
    public Response quotaExceeded(QuotaExceeded refusal, HttpServerRequest request) {
        return Response.status(429).type(Problem.MEDIA_TYPE)
                .header(HttpHeaders.RETRY_AFTER, refusal.retryAfterSeconds())
                .entity(QuotaProblem.of(refusal, request.path())).build();
    }
}
