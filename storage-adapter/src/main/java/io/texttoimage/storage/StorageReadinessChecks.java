package io.texttoimage.storage;

import io.texttoimage.broker.BrokerConnection;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready only when the bucket exists (created if missing) and the RabbitMQ connection is open. */
public class StorageReadinessChecks {

    @Readiness
    @ApplicationScoped
    public static class BucketCheck implements HealthCheck {
        private final ImageBucket bucket;

        public BucketCheck(ImageBucket bucket) {
            this.bucket = bucket;
        }

        @Override
        public HealthCheckResponse call() {
            try {
                bucket.checkReachable();
                return HealthCheckResponse.builder().name("s3").up().withData("bucket", bucket.bucket()).build();
            } catch (Exception e) {
                return HealthCheckResponse.builder().name("s3").down()
                        .withData("bucket", bucket.bucket())
                        .withData("error", String.valueOf(e.getMessage())).build();
            }
        }
    }

    @Readiness
    @ApplicationScoped
    public static class RabbitCheck implements HealthCheck {
        private final BrokerConnection broker;

        public RabbitCheck(BrokerConnection broker) {
            this.broker = broker;
        }

        @Override
        public HealthCheckResponse call() {
            return HealthCheckResponse.named("rabbitmq").status(broker.isOpen()).build();
        }
    }
}
