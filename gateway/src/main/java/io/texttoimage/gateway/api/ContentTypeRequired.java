package io.texttoimage.gateway.api;

import io.texttoimage.gateway.api.problem.ProblemException;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ResourceInfo;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * A POST without a Content-Type is a 415, like one with a type other than JSON: Quarkus REST would otherwise read
 * its body as JSON all the same, so a client that forgot the header, or sent a form, got a job by luck. Runs after
 * matching, before the body is read, so it also comes before any complaint about the body.
 */
public class ContentTypeRequired {

    @ServerRequestFilter
    public void requireContentType(ContainerRequestContext request, ResourceInfo resource) {
        // only where a body is read: POST /generated-images/{id}/stream-token takes none
        if ("POST".equals(request.getMethod()) && request.getMediaType() == null
                && resource.getResourceMethod().isAnnotationPresent(Consumes.class)) {
            throw ProblemException.unsupportedMediaType(null);
        }
    }
}
