package io.texttoimage.gateway.auth;

import jakarta.enterprise.context.RequestScoped;

/**
 * The caller of the current request, for the services that decide what it may see and do. Until authentication
 * is built (issue 11, part 1) every request is {@link Caller#UNAUTHENTICATED}.
 */
@RequestScoped
public class CurrentCaller {

    public Caller get() {
        return Caller.UNAUTHENTICATED;
    }
}
