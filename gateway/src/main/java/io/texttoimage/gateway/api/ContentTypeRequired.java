package io.texttoimage.gateway.api;

import io.texttoimage.gateway.api.problem.ProblemException;
import jakarta.ws.rs.container.ContainerRequestContext;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * A POST without a Content-Type is a 415, like one with a type other than JSON: Quarkus REST would otherwise read
 * its body as JSON all the same, so a client that forgot the header, or sent a form, got a job by luck. Runs after
 * matching, before the body is read, so it also comes before any complaint about the body.
 */
public class ContentTypeRequired {

    @ServerRequestFilter
    public void requireContentType(ContainerRequestContext request) {
        if ("POST".equals(request.getMethod()) && request.getMediaType() == null) {
            throw ProblemException.unsupportedMediaType(null);
        }
    }
}
