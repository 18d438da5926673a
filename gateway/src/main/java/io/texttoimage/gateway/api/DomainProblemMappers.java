package io.texttoimage.gateway.api;

import io.texttoimage.gateway.api.problem.ProblemException;
import io.texttoimage.gateway.api.problem.ProblemMappers;
import io.texttoimage.gateway.job.JobException;
import io.texttoimage.gateway.storage.SigningException;
import io.vertx.core.http.HttpServerRequest;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** The gateway's own refusals (a job's, a signing's) as problem+json: status, type and title for each. */
public class DomainProblemMappers {

    @ServerExceptionMapper
    public Response jobRefused(JobException e, HttpServerRequest request) {
        return ProblemMappers.of(switch (e) {
            case JobException.NotFound notFound -> new ProblemException(404, "not-found", "Generated image not found",
                    e.getMessage());
            case JobException.AlreadyFinished finished -> new ProblemException(409, "job-finished",
                    "Job already finished", e.getMessage());
            case JobException.NotQueued notQueued -> new ProblemException(503, "broker-unavailable",
                    "Job queue unavailable", e.getMessage(), e.getCause());
            case JobException.InvalidDeadline invalid -> ProblemException.badRequest(invalid.field(), e.getMessage());
            case JobException.InvalidIdempotencyKey invalid -> ProblemException.badRequest(
                    "Idempotency-Key", e.getMessage());
            case JobException.IdempotencyKeyReused reused -> new ProblemException(422, "idempotency-key-reused",
                    "Idempotency key reused", e.getMessage());
        }, request);
    }

    @ServerExceptionMapper
    public Response signingFailed(SigningException e, HttpServerRequest request) {
        return ProblemMappers.of(switch (e.reason()) {
            case NO_IMAGES -> new ProblemException(502, "no-images", "No images recorded", e.getMessage());
            case ADAPTER_ERROR -> new ProblemException(502, "storage-adapter-error", "Storage adapter error",
                    e.getMessage(), e.getCause());
            case ADAPTER_UNREACHABLE -> new ProblemException(503, "storage-adapter-unavailable",
                    "Storage adapter unavailable", e.getMessage(), e.getCause());
        }, request);
    }
}
