package io.texttoimage.gateway.messaging;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.rabbitmq.OutgoingRabbitMQMetadata;
import io.texttoimage.contracts.CancelRequested;
import io.texttoimage.contracts.GenerationRequested;
import io.texttoimage.gateway.config.GatewayConfig;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.Metadata;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Publishes the gateway's commands. Both channels use publisher confirms: the returned {@link Uni}
 * completes only once the broker has taken responsibility for the message, and fails on a nack or
 * when no confirm arrives within {@code t2i.gateway.publish-timeout}.
 */
@ApplicationScoped
public class JobPublisher {
    private static final int PERSISTENT = 2;

    private final MutinyEmitter<String> generationRequests;
    private final MutinyEmitter<String> control;
    private final JsonCodec codec;
    private final GatewayConfig config;
    /** Time from handing a message to the connector until the broker's confirm. */
    private final Timer requestConfirmTime;
    private final Timer cancelConfirmTime;

    public JobPublisher(@Channel("generation-requests") @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 16384)
                        MutinyEmitter<String> generationRequests,
                        @Channel("control") @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 4096)
                        MutinyEmitter<String> control,
                        JsonCodec codec, GatewayConfig config, MeterRegistry registry) {
        this.generationRequests = generationRequests;
        this.control = control;
        this.codec = codec;
        this.config = config;
        this.requestConfirmTime = registry.timer("t2i.gateway.publish", "channel", "generation-requests");
        this.cancelConfirmTime = registry.timer("t2i.gateway.publish", "channel", "control");
    }

    public Uni<Void> requestGeneration(GenerationRequested request) {
        return send(generationRequests, codec.encode(request), "generation.requested", request.jobId(),
                requestConfirmTime);
    }

    public Uni<Void> requestCancel(UUID jobId) {
        CancelRequested cancel = new CancelRequested(CancelRequested.SCHEMA_VERSION, jobId, Instant.now());
        return send(control, codec.encode(cancel), "cancel", jobId, cancelConfirmTime);
    }

    private Uni<Void> send(MutinyEmitter<String> emitter, String json, String routingKey, UUID jobId, Timer timer) {
        OutgoingRabbitMQMetadata metadata = OutgoingRabbitMQMetadata.builder()
                .withContentType("application/json")
                .withDeliveryMode(PERSISTENT)
                .withRoutingKey(routingKey)
                .withMessageId(jobId.toString())
                .withTimestamp(Instant.now().atZone(ZoneOffset.UTC))
                .build();
        return Uni.createFrom().deferred(() -> {
                    long start = System.nanoTime();
                    return emitter.sendMessage(Message.of(json, Metadata.of(metadata)))
                            .invoke(() -> timer.record(System.nanoTime() - start, TimeUnit.NANOSECONDS));
                })
                .ifNoItem().after(confirmTimeout())
                .failWith(() -> new IllegalStateException("no publisher confirm within " + confirmTimeout()));
    }

    /** Vert.x timers cannot fire sooner than 1 ms. */
    private Duration confirmTimeout() {
        Duration configured = config.publishTimeout();
        return configured.compareTo(Duration.ofMillis(1)) < 0 ? Duration.ofMillis(1) : configured;
    }
}
