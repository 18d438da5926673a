package io.texttoimage.gateway.messaging;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Not ready while jobs cannot be published: a submission would only get 503. */
@Readiness
@ApplicationScoped
public class PublisherReadiness implements HealthCheck {
    private final ConfirmingPublisher publisher;

    public PublisherReadiness(ConfirmingPublisher publisher) {
        this.publisher = publisher;
    }

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("rabbitmq-publisher").status(publisher.isConnected()).build();
    }
}
