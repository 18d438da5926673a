package io.texttoimage.gateway.messaging;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * The gateway's RabbitMQ connections: not ready while jobs cannot be published (a submission would only get 503),
 * while live job events do not arrive (SSE clients would see nothing) or while job events do not reach the database.
 */
@Readiness
@ApplicationScoped
public class BrokerReadiness implements HealthCheck {
    private final ConfirmingPublisher publisher;
    private final JobEventFanout liveEvents;
    private final JobEventQueue storedEvents;
    private final DeadLetterQueue deadLetters;

    public BrokerReadiness(ConfirmingPublisher publisher, JobEventFanout liveEvents, JobEventQueue storedEvents,
                           DeadLetterQueue deadLetters) {
        this.publisher = publisher;
        this.liveEvents = liveEvents;
        this.storedEvents = storedEvents;
        this.deadLetters = deadLetters;
    }

    @Override
    public HealthCheckResponse call() {
        boolean publishing = publisher.isConnected();
        boolean live = liveEvents.isConsuming();
        boolean persisting = storedEvents.isConsuming();
        boolean failingDeadLetters = deadLetters.isConsuming();
        return HealthCheckResponse.named("rabbitmq")
                .status(publishing && live && persisting && failingDeadLetters)
                .withData("publishing", publishing)
                .withData("live-events", live)
                .withData("persisting", persisting)
                .withData("dead-letters", failingDeadLetters)
                .build();
    }
}
