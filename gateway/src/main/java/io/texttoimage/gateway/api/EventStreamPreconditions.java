package io.texttoimage.gateway.api;

import io.smallrye.mutiny.Uni;
import io.texttoimage.gateway.auth.CurrentCaller;
import io.texttoimage.gateway.job.JobService;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An SSE response is committed (200, headers sent) as soon as its stream is returned, so an unknown job
 * must be refused before that: this filter answers 404 problem+json for the events of a job that does
 * not exist or that the caller may not see (another owner's: the same 404). Malformed ids pass through and get
 * the same 404 from the resource. Every (re)connection is checked, a resumption with Last-Event-ID too.
 */
public class EventStreamPreconditions {
    private static final Pattern EVENTS_PATH = Pattern.compile("^/generated-images/([^/]+)/events/?$");

    private final JobService jobs;
    private final CurrentCaller caller;

    public EventStreamPreconditions(JobService jobs, CurrentCaller caller) {
        this.jobs = jobs;
        this.caller = caller;
    }

    @ServerRequestFilter
    public Uni<Response> requireKnownJob(ContainerRequestContext request) {
        if (!"GET".equals(request.getMethod())) {
            return null;
        }
        Matcher matcher = EVENTS_PATH.matcher(request.getUriInfo().getPath());
        if (!matcher.matches()) {
            return null;
        }
        UUID id;
        try {
            id = UUID.fromString(matcher.group(1));
        } catch (IllegalArgumentException e) {
            return null;
        }
        return jobs.findVisible(id, caller.get()).replaceWith((Response) null);
    }
}
