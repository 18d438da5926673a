package io.texttoimage.gateway.messaging;

import io.smallrye.mutiny.Uni;
import io.texttoimage.contracts.JobEvent;
import io.texttoimage.gateway.events.JobEventBroadcaster;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

/**
 * Receives every job event through this replica's own auto-delete queue
 * ({@code <prefix>.job-events.gateway-<instance-id>}) and hands it to the SSE streams open here.
 * Nothing is stored: a replica that is down has no clients to tell.
 */
@ApplicationScoped
public class JobEventFanout {
    private static final Logger LOG = Logger.getLogger(JobEventFanout.class);

    private final JobEventBroadcaster broadcaster;
    private final JsonCodec codec;

    public JobEventFanout(JobEventBroadcaster broadcaster, JsonCodec codec) {
        this.broadcaster = broadcaster;
        this.codec = codec;
    }

    @Incoming("job-events-live")
    public Uni<Void> onEvent(Message<Object> message) {
        try {
            JobEvent event = codec.decode(message.getPayload(), JobEvent.class);
            if (event.jobId() != null && event.type() != null) {
                broadcaster.publish(event);
            }
        } catch (RuntimeException e) {
            LOG.warnf("Ignoring unreadable job event: %s", e.getMessage());
        }
        return Uni.createFrom().completionStage(message.ack());
    }
}
