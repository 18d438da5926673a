package io.texttoimage.storage;

import io.minio.GetPresignedObjectUrlArgs;
import io.minio.MinioClient;
import io.minio.http.Method;
import io.quarkiverse.minio.client.MinioQualifier;
import io.texttoimage.contracts.ImageStored;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.core.Response;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.concurrent.TimeUnit;

/**
 * Signs GET URLs for existing objects; the existence check goes to the internal endpoint. The signer is the
 * extension's client named {@value MinioSettings#SIGNING}: built for the public endpoint with an explicit region, so
 * the URL carries the public host and signing makes no network call (see {@link MinioSettings}).
 */
@ApplicationScoped
public class UrlSigner {
    /** SigV4 refuses presigned URLs valid longer than 7 days. */
    static final Duration SIGV4_MAX_EXPIRY = Duration.ofDays(7);

    private final MinioClient signer;
    private final ImageBucket bucket;
    private final Duration maxExpiry;
    private final Clock clock = Clock.systemUTC();

    public UrlSigner(@MinioQualifier(MinioSettings.SIGNING) MinioClient signer, ImageBucket bucket, StorageConfig config) {
        this.signer = signer;
        this.bucket = bucket;
        this.maxExpiry = config.maxUrlExpiry().compareTo(SIGV4_MAX_EXPIRY) > 0 ? SIGV4_MAX_EXPIRY : config.maxUrlExpiry();
    }

    public SignedUrl sign(String key, String expiryText) {
        validateKey(key);
        Duration expiry = parseExpiry(expiryText);
        boolean exists;
        try {
            exists = bucket.stat(key).isPresent();
        } catch (Exception e) {
            throw new ProblemException(Response.Status.SERVICE_UNAVAILABLE,
                    "Object storage is not reachable: " + e.getMessage());
        }
        if (!exists) {
            throw new ProblemException(Response.Status.NOT_FOUND, "No object with key '" + key + "' exists.");
        }
        Instant now = clock.instant();
        try {
            String url = signer.getPresignedObjectUrl(GetPresignedObjectUrlArgs.builder()
                    .method(Method.GET)
                    .bucket(bucket.bucket())
                    .object(key)
                    .expiry((int) expiry.toSeconds(), TimeUnit.SECONDS)
                    .build());
            return new SignedUrl(key, url, now.plus(expiry));
        } catch (Exception e) {
            throw new IllegalStateException("Signing '" + key + "' failed", e);
        }
    }

    private static void validateKey(String key) {
        if (key == null || key.isBlank()) {
            throw new ProblemException(Response.Status.BAD_REQUEST, "Query parameter 'key' is required.");
        }
        // Only what the generators store (ImageStored.keyOf): nothing else in the bucket is ever signed.
        if (!ImageStored.isImageKey(key)) {
            throw new ProblemException(Response.Status.BAD_REQUEST,
                    "Query parameter 'key' must be an image key images/<job id>/<index>.png (a lower-case UUID).");
        }
    }

    private Duration parseExpiry(String text) {
        if (text == null || text.isBlank()) {
            return Duration.ofHours(1);
        }
        Duration expiry;
        try {
            expiry = Duration.parse(text);
        } catch (DateTimeParseException e) {
            throw new ProblemException(Response.Status.BAD_REQUEST,
                    "Query parameter 'expiry' must be an ISO-8601 duration such as PT1H, not '" + text + "'.");
        }
        if (expiry.toSeconds() < 1) {
            throw new ProblemException(Response.Status.BAD_REQUEST,
                    "Query parameter 'expiry' must be at least one second.");
        }
        if (expiry.compareTo(maxExpiry) > 0) {
            throw new ProblemException(Response.Status.BAD_REQUEST,
                    "Query parameter 'expiry' must not exceed " + maxExpiry + ".");
        }
        return expiry;
    }
}
