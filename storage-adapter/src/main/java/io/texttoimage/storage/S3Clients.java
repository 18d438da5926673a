package io.texttoimage.storage;

import io.minio.MinioClient;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Named;

/**
 * Two clients with the same credentials: one talks to the internal endpoint, the other only signs.
 * A presigned URL's host is part of its SigV4 signature, so the signer must be built for the public host;
 * the explicit region keeps it from asking that (maybe unreachable) host for the bucket location.
 */
@ApplicationScoped
public class S3Clients {
    private static final java.time.Duration CONNECT_TIMEOUT = java.time.Duration.ofSeconds(5);
    private static final java.time.Duration IO_TIMEOUT = java.time.Duration.ofSeconds(60);

    @Produces
    @ApplicationScoped
    @Named("internal")
    MinioClient internalClient(StorageConfig config) {
        MinioClient client = MinioClient.builder()
                .endpoint(config.endpoint())
                .credentials(config.accessKey(), config.secretKey())
                .region(config.region())
                .build();
        // The default 5-minute connect timeout would hang readiness probes and REST calls when S3 is down.
        client.setTimeout(CONNECT_TIMEOUT.toMillis(), IO_TIMEOUT.toMillis(), IO_TIMEOUT.toMillis());
        return client;
    }

    @Produces
    @ApplicationScoped
    @Named("signing")
    MinioClient signingClient(StorageConfig config) {
        return MinioClient.builder()
                .endpoint(config.signingEndpoint())
                .credentials(config.accessKey(), config.secretKey())
                .region(config.region())
                .build();
    }
}
