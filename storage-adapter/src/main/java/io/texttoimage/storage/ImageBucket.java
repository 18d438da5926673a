package io.texttoimage.storage;

import io.minio.BucketExistsArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.StatObjectArgs;
import io.minio.StatObjectResponse;
import io.minio.errors.ErrorResponseException;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The bucket of generated images, through the quarkus-minio extension's default client (the internal endpoint, see
 * {@link MinioSettings}). Every method blocks: call it off the event loop.
 */
@ApplicationScoped
public class ImageBucket {
    private static final Logger LOG = Logger.getLogger(ImageBucket.class);
    static final String PNG_CONTENT_TYPE = "image/png";
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration IO_TIMEOUT = Duration.ofSeconds(60);

    private final MinioClient client;
    private final String bucket;
    private volatile boolean bucketReady;

    public ImageBucket(MinioClient client, StorageConfig config) {
        // The extension's HTTP client waits 5 minutes to connect: that would hang readiness probes and REST calls
        // while S3 is down. This adapter is the client's only user (a singleton), so it sets the timeouts here.
        client.setTimeout(CONNECT_TIMEOUT.toMillis(), IO_TIMEOUT.toMillis(), IO_TIMEOUT.toMillis());
        this.client = client;
        this.bucket = config.bucket();
    }

    void onStart(@Observes StartupEvent event) {
        try {
            ensureBucket();
        } catch (Exception e) {
            // Not fatal: readiness stays DOWN and retries, so a late S3 does not crash-loop the pod.
            LOG.warnf("S3 bucket '%s' is not available yet: %s", bucket, e.getMessage());
        }
    }

    /** Creates the bucket if it is missing; cheap once it has succeeded. */
    public void ensureBucket() throws Exception {
        if (bucketReady) {
            return;
        }
        if (!client.bucketExists(BucketExistsArgs.builder().bucket(bucket).build())) {
            try {
                client.makeBucket(MakeBucketArgs.builder().bucket(bucket).build());
                LOG.infof("Created bucket '%s'", bucket);
            } catch (ErrorResponseException e) {
                // Another replica created it between our check and our call.
                if (!"BucketAlreadyOwnedByYou".equals(e.errorResponse().code())) {
                    throw e;
                }
            }
        }
        bucketReady = true;
    }

    /** Readiness probe: the bucket exists (created if missing) and the server answers right now. */
    public void checkReachable() throws Exception {
        if (!bucketReady) {
            ensureBucket();
        } else if (!client.bucketExists(BucketExistsArgs.builder().bucket(bucket).build())) {
            bucketReady = false;
            ensureBucket();
        }
    }

    /** Overwrites on purpose: a redelivered job writes the same key, so there is never a duplicate object. */
    public void putPng(String key, byte[] png, UUID jobId, int index) throws Exception {
        ensureBucket();
        try {
            client.putObject(PutObjectArgs.builder()
                    .bucket(bucket)
                    .object(key)
                    .stream(new ByteArrayInputStream(png), png.length, -1)
                    .contentType(PNG_CONTENT_TYPE)
                    .userMetadata(Map.of("job-id", jobId.toString(), "image-index", Integer.toString(index)))
                    .build());
        } catch (ErrorResponseException e) {
            if ("NoSuchBucket".equals(e.errorResponse().code())) {
                bucketReady = false; // deleted behind our back: the retry re-creates it
            }
            throw e;
        }
    }

    /**
     * What went wrong with an S3 call, in words for a job's reason: unreachable (no connection, reset, timed out)
     * or refused (an S3 error response, with its code).
     */
    public static String describe(Exception failure) {
        if (failure instanceof ErrorResponseException refused) {
            return "S3 refused the request (" + refused.errorResponse().code() + ": " + refused.errorResponse().message()
                    + ")";
        }
        if (failure instanceof SocketTimeoutException) {
            return "S3 did not answer in time (" + failure.getMessage() + ")";
        }
        if (failure instanceof IOException) {
            return "S3 unreachable (" + failure.getMessage() + ")";
        }
        return "S3 request failed (" + failure.getClass().getSimpleName() + ": " + failure.getMessage() + ")";
    }

    /** Empty when the object does not exist; other S3 failures propagate. */
    public Optional<StatObjectResponse> stat(String key) throws Exception {
        try {
            return Optional.of(client.statObject(StatObjectArgs.builder().bucket(bucket).object(key).build()));
        } catch (ErrorResponseException e) {
            String code = e.errorResponse().code();
            if ("NoSuchKey".equals(code) || "NoSuchObject".equals(code) || "NotFound".equals(code)
                    || e.response() != null && e.response().code() == 404) {
                return Optional.empty();
            }
            throw e;
        }
    }

    public String bucket() {
        return bucket;
    }
}
