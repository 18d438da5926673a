package io.texttoimage.storage;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * S3 side of the storage adapter; see docs/storage-adapter.md for the environment variables. The connection settings
 * (endpoints, keys, region) reach the quarkus-minio clients through {@link MinioSettings}; they are declared here too
 * so that they keep their defaults and a missing key fails start-up under its own (documented) name.
 */
@ConfigMapping(prefix = "t2i.storage")
public interface StorageConfig {

    /** Internal S3 endpoint used for writes and existence checks. */
    @WithDefault(MinioSettings.DEFAULT_ENDPOINT)
    String endpoint();

    /** Endpoint whose host goes into signed URLs (what clients can reach); defaults to {@link #endpoint()}. */
    Optional<String> publicEndpoint();

    String accessKey();

    String secretKey();

    /** Explicit region: signing then never asks the server for the bucket location. */
    @WithDefault(MinioSettings.DEFAULT_REGION)
    String region();

    @WithDefault("generated-images")
    String bucket();

    /**
     * Longest expiry a caller may ask for: the same policy as the gateway's {@code t2i.gateway.signed-url-expiry}
     * (both default to an hour; the manifests set both from one value). SigV4 itself allows at most 7 days.
     */
    @WithDefault("PT1H")
    Duration maxUrlExpiry();

    /**
     * Bearer tokens of the gateways allowed to have URLs signed ({@link GatewayAuthentication}); no default: a
     * storage adapter without one does not start. Several are accepted during a rotation.
     */
    List<String> gatewayTokens();

    /** Parallel image-store consumers (one AMQP channel each, prefetch 1). */
    @WithDefault("2")
    int consumers();

    /**
     * Pause after the first failed S3 write of an image; it doubles after each further failure, up to
     * {@link #retryBackoffMax()}. The adapter keeps the message (unacknowledged) while it waits ({@link StoreRetries}).
     */
    @WithDefault("PT1S")
    Duration retryBackoff();

    /** Longest pause between two attempts to write one image. */
    @WithDefault("PT10S")
    Duration retryBackoffMax();

    /**
     * How long an image is retried, counted from when the generator published it: past it, the adapter gives up and
     * announces an {@code ImageStored} with the reason, so the job fails instead of waiting. Rides out an S3 outage
     * shorter than this; keep it below the generator's {@code t2i.generator.store-timeout}, so the job fails with
     * this reason rather than with the generator's timeout.
     */
    @WithDefault("PT2M")
    Duration retryWindow();
}
