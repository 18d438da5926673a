package io.texttoimage.gateway.storage;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MultivaluedHashMap;
import jakarta.ws.rs.core.MultivaluedMap;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.rest.client.ext.ClientHeadersFactory;

/**
 * The storage adapter signs only for a gateway that sends one of its tokens (its {@code GatewayAuthentication}):
 * every call carries {@code Authorization: Bearer <t2i.storage-adapter.token>}. No default outside dev and test
 * mode, so a production gateway without the token does not start (see docs/security.md).
 */
@ApplicationScoped
public class StorageAdapterCredentials implements ClientHeadersFactory {
    private final String authorization;

    public StorageAdapterCredentials(@ConfigProperty(name = "t2i.storage-adapter.token") String token) {
        this.authorization = "Bearer " + token.strip();
    }

    @Override
    public MultivaluedMap<String, String> update(MultivaluedMap<String, String> incomingHeaders,
                                                 MultivaluedMap<String, String> clientOutgoingHeaders) {
        MultivaluedMap<String, String> headers = new MultivaluedHashMap<>();
        headers.putSingle(HttpHeaders.AUTHORIZATION, authorization);
        return headers;
    }
}
