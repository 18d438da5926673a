package io.texttoimage.gateway.auth;

import org.eclipse.microprofile.openapi.OASFactory;
import org.eclipse.microprofile.openapi.OASFilter;
import org.eclipse.microprofile.openapi.models.OpenAPI;
import org.eclipse.microprofile.openapi.models.security.SecurityScheme;

/**
 * Publishes the bearer credential in the OpenAPI document, required by every operation (the path rules, not
 * annotations, protect them), so Swagger UI's Authorize button sends it. Registered with {@code mp.openapi.filter}.
 */
public class BearerSecurityScheme implements OASFilter {
    static final String NAME = "bearer";

    @Override
    public void filterOpenAPI(OpenAPI openAPI) {
        if (openAPI.getComponents() == null) {
            openAPI.setComponents(OASFactory.createComponents());
        }
        openAPI.getComponents().addSecurityScheme(NAME, OASFactory.createSecurityScheme()
                .type(SecurityScheme.Type.HTTP).scheme("bearer")
                .description("An API key (t2i_…) or, where the gateway accepts them, a JWT."));
        openAPI.addSecurityRequirement(OASFactory.createSecurityRequirement().addScheme(NAME));
    }
}
