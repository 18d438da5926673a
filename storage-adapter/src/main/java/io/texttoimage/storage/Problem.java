package io.texttoimage.storage;

import com.fasterxml.jackson.annotation.JsonInclude;
import jakarta.ws.rs.core.Response;

import java.net.URI;

/** RFC 9457 problem details, the body of every error response. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Problem(URI type, String title, int status, String detail, String instance) {

    public static final String MEDIA_TYPE = "application/problem+json";

    public static Response response(Response.Status status, String detail, String instance) {
        Problem problem = new Problem(URI.create("about:blank"), status.getReasonPhrase(), status.getStatusCode(),
                detail, instance);
        return Response.status(status).type(MEDIA_TYPE).entity(problem).build();
    }
}
