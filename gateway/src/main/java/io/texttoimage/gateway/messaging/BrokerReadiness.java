package io.texttoimage.gateway.messaging;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * The gateway's own RabbitMQ connections: not ready while jobs cannot be published (a submission would only get 503)
 * or while live job events do not arrive (SSE clients would see nothing). The connector's consumer reports itself.
 */
@Readiness
@ApplicationScoped
public class BrokerReadiness implements HealthCheck {
    private final ConfirmingPublisher publisher;
    private final JobEventFanout liveEvents;

    public BrokerReadiness(ConfirmingPublisher publisher, JobEventFanout liveEvents) {
        this.publisher = publisher;
        this.liveEvents = liveEvents;
    }

    @Override
    public HealthCheckResponse call() {
        boolean publishing = publisher.isConnected();
        boolean consuming = liveEvents.isConsuming();
        return HealthCheckResponse.named("rabbitmq")
                .status(publishing && consuming)
                .withData("publishing", publishing)
                .withData("live-events", consuming)
                .build();
    }
}
