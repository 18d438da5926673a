package io.texttoimage.gateway.storage;

import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.WebApplicationException;
import org.eclipse.microprofile.rest.client.inject.RestClient;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Asks the storage adapter to sign every image of a job; adapter failures become {@link SigningException}s. */
@ApplicationScoped
public class SignedUrlIssuer {
    private final StorageAdapterClient adapter;

    public SignedUrlIssuer(@RestClient StorageAdapterClient adapter) {
        this.adapter = adapter;
    }

    /** The signed URL of each key, in the order of the keys (all signed at once). */
    public Uni<List<SignedUrl>> sign(String[] keys, Duration expiry) {
        if (keys == null || keys.length == 0) {
            return Uni.createFrom().failure(new SigningException(SigningException.Reason.NO_IMAGES,
                    "The job succeeded but no image keys were recorded.", null));
        }
        List<Uni<SignedUrl>> calls = new ArrayList<>(keys.length);
        for (String key : keys) {
            calls.add(adapter.sign(key, expiry.toString()).onFailure().transform(failure -> adapterFailure(key, failure)));
        }
        return Uni.join().all(calls).andFailFast();
    }

    private static SigningException adapterFailure(String key, Throwable failure) {
        if (failure instanceof WebApplicationException http && http.getResponse().getStatus() == 401) {
            return new SigningException(SigningException.Reason.ADAPTER_ERROR, "The storage adapter refused this"
                    + " gateway's token (t2i.storage-adapter.token must be one of its t2i.storage.gateway-tokens).",
                    failure);
        }
        if (failure instanceof WebApplicationException http) {
            return new SigningException(SigningException.Reason.ADAPTER_ERROR,
                    "The storage adapter answered " + http.getResponse().getStatus() + " when signing '" + key + "'.",
                    failure);
        }
        return new SigningException(SigningException.Reason.ADAPTER_UNREACHABLE,
                "The storage adapter could not be reached to sign '" + key + "': " + failure.getMessage(), failure);
    }
}
