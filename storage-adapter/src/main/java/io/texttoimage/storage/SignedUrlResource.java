package io.texttoimage.storage;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.jboss.resteasy.reactive.RestQuery;

/** Internal API for the gateway: time-limited GET URLs for stored images. Runs on a worker thread (S3 stat). */
@Path("/signed-urls")
public class SignedUrlResource {

    private final UrlSigner signer;

    public SignedUrlResource(UrlSigner signer) {
        this.signer = signer;
    }

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public SignedUrl sign(@RestQuery String key, @RestQuery String expiry) {
        return signer.sign(key, expiry);
    }
}
