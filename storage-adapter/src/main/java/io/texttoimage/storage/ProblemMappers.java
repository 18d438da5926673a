package io.texttoimage.storage;

import io.vertx.core.http.HttpServerRequest;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** Every error leaves as application/problem+json; unexpected failures are logged and never leak internals. */
public class ProblemMappers {
    private static final Logger LOG = Logger.getLogger(ProblemMappers.class);

    @ServerExceptionMapper
    public Response problem(ProblemException e, HttpServerRequest request) {
        return Problem.response(e.status(), e.getMessage(), request.path());
    }

    @ServerExceptionMapper
    public Response webApplication(WebApplicationException e, HttpServerRequest request) {
        Response.Status status = Response.Status.fromStatusCode(e.getResponse().getStatus());
        if (status == null) {
            status = Response.Status.INTERNAL_SERVER_ERROR;
        }
        String detail = status == Response.Status.NOT_FOUND
                ? "No resource at " + request.path() + "; the API is GET /signed-urls?key=...&expiry=..."
                : e.getMessage();
        return Problem.response(status, detail, request.path());
    }

    @ServerExceptionMapper
    public Response unexpected(Exception e, HttpServerRequest request) {
        LOG.error("Unexpected error on " + request.path(), e);
        return Problem.response(Response.Status.INTERNAL_SERVER_ERROR,
                "The storage adapter failed unexpectedly; see its log.", request.path());
    }
}
