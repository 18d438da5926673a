package io.texttoimage.gateway.auth;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;

/** Test-only endpoint: the caller the gateway made of the request's credential, as the services will see it. */
@Path("/test-only/whoami")
@Produces(MediaType.APPLICATION_JSON)
public class WhoAmIResource {
    private final CurrentCaller caller;

    public WhoAmIResource(CurrentCaller caller) {
        this.caller = caller;
    }

    @GET
    @Operation(hidden = true) // not part of the API
    public Caller whoAmI() {
        return caller.get();
    }
}
