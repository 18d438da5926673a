package io.texttoimage.gateway.storage;

import io.smallrye.mutiny.Uni;
import io.texttoimage.gateway.api.SignedUrlsResponse;
import io.texttoimage.gateway.api.problem.ProblemException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.WebApplicationException;
import org.eclipse.microprofile.rest.client.inject.RestClient;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Asks the storage adapter to sign every image of a job; adapter failures become 502/503 problems. */
@ApplicationScoped
public class SignedUrlIssuer {
    private final StorageAdapterClient adapter;

    public SignedUrlIssuer(@RestClient StorageAdapterClient adapter) {
        this.adapter = adapter;
    }

    public Uni<SignedUrlsResponse> sign(String[] keys, Duration expiry) {
        if (keys == null || keys.length == 0) {
            return Uni.createFrom().failure(new ProblemException(502, "no-images", "No images recorded",
                    "The job succeeded but no image keys were recorded."));
        }
        List<Uni<SignedUrl>> calls = new ArrayList<>(keys.length);
        for (String key : keys) {
            calls.add(adapter.sign(key, expiry.toString()).onFailure().transform(failure -> adapterFailure(key, failure)));
        }
        return Uni.join().all(calls).andFailFast().map(signed -> {
            List<SignedUrlsResponse.Image> images = new ArrayList<>(signed.size());
            for (int i = 0; i < signed.size(); i++) {
                images.add(new SignedUrlsResponse.Image(i, keys[i], signed.get(i).url()));
            }
            Instant expiresAt = signed.stream().map(SignedUrl::expiresAt).filter(java.util.Objects::nonNull)
                    .min(Comparator.naturalOrder()).orElse(Instant.now().plus(expiry));
            return new SignedUrlsResponse(expiresAt, images);
        });
    }

    private static ProblemException adapterFailure(String key, Throwable failure) {
        if (failure instanceof WebApplicationException http) {
            return new ProblemException(502, "storage-adapter-error", "Storage adapter error",
                    "The storage adapter answered " + http.getResponse().getStatus() + " when signing '" + key + "'.",
                    failure);
        }
        return new ProblemException(503, "storage-adapter-unavailable", "Storage adapter unavailable",
                "The storage adapter could not be reached to sign '" + key + "': " + failure.getMessage(), failure);
    }
}
