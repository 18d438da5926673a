package io.texttoimage.gateway.storage;

import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.rest.client.annotation.RegisterClientHeaders;
import org.eclipse.microprofile.rest.client.inject.RegisterRestClient;

/** The storage adapter, the only holder of S3 credentials, signs download URLs for the gateway. */
@RegisterRestClient(configKey = "storage-adapter")
@RegisterClientHeaders(StorageAdapterCredentials.class)
@Path("/signed-urls")
public interface StorageAdapterClient {

    /** @param expiry ISO-8601 duration, e.g. {@code PT1H} */
    @GET
    @Produces(MediaType.APPLICATION_JSON)
    Uni<SignedUrl> sign(@QueryParam("key") String key, @QueryParam("expiry") String expiry);
}
