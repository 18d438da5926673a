package io.texttoimage.gateway.messaging;

import com.rabbitmq.client.AMQP;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.smallrye.mutiny.Uni;
import io.texttoimage.broker.Topology;
import io.texttoimage.contracts.CancelRequested;
import io.texttoimage.contracts.GenerationRequested;
import io.texttoimage.contracts.JobEvent;
import io.texttoimage.contracts.JobEventType;
import io.texttoimage.gateway.config.GatewayConfig;
import io.texttoimage.gateway.job.JobCommands;
import io.texttoimage.gateway.job.JobStateMachine;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Publishes the gateway's commands: jobs to the work queue's exchange, cancels to the control fanout. The returned
 * {@link Uni} completes only once the broker has taken responsibility for the message (publisher confirm), and
 * fails on a nack, when a job reaches no queue, when the connection is down, or when no confirm arrives within
 * {@code t2i.gateway.publish-timeout}. It completes on the caller's Vert.x context.
 */
@ApplicationScoped
public class JobPublisher implements JobCommands {
    private static final int PERSISTENT = 2;

    private final ConfirmingPublisher publisher;
    private final JsonCodec codec;
    private final GatewayConfig config;
    private final String requestsExchange;
    private final String controlExchange;
    private final String jobEventsExchange;
    /** Time from handing a message to the publisher until the broker's confirm. */
    private final Timer requestConfirmTime;
    private final Timer cancelConfirmTime;
    private final Timer eventConfirmTime;

    public JobPublisher(ConfirmingPublisher publisher, JsonCodec codec, GatewayConfig config, Topology topology,
                        MeterRegistry registry) {
        this.publisher = publisher;
        this.codec = codec;
        this.config = config;
        this.requestsExchange = topology.requestsExchange();
        this.controlExchange = topology.controlExchange();
        this.jobEventsExchange = topology.jobEventsExchange();
        this.requestConfirmTime = registry.timer("t2i.gateway.publish", "channel", "generation-requests");
        this.cancelConfirmTime = registry.timer("t2i.gateway.publish", "channel", "control");
        this.eventConfirmTime = registry.timer("t2i.gateway.publish", "channel", "job-events");
    }

    /** A job must reach the work queue: it is published mandatory, so an unbound exchange is an error, not a loss. */
    @Override
    public Uni<Void> requestGeneration(GenerationRequested request) {
        return send(requestsExchange, Topology.JOB_ROUTING_KEY, request.jobId(), codec.encode(request), true,
                requestConfirmTime);
    }

    /** A cancel goes to every generator running now; with none running there is nobody to tell, which is fine. */
    @Override
    public Uni<Void> requestCancel(UUID jobId) {
        CancelRequested cancel = new CancelRequested(CancelRequested.SCHEMA_VERSION, jobId, Instant.now());
        return send(controlExchange, Topology.CANCEL_ROUTING_KEY, jobId, codec.encode(cancel), false,
                cancelConfirmTime);
    }

    /**
     * Ends a job the gateway's way (a deadline passed, the attempts ran out): a FAILED event published like a
     * generator's, so every replica's streams and writer see it the same way, at the gateway's sequence
     * ({@link JobStateMachine#GATEWAY_SEQUENCE}: newer than anything a worker sent, and nothing follows it).
     * Mandatory: the gateways' persist queue is always bound, so an unroutable end is an error, not a loss.
     *
     * @param attempts the attempts made, when they are why it ends; null otherwise
     */
    public Uni<Void> publishGatewayFailure(UUID jobId, int step, int totalSteps, String reason, Integer attempts) {
        JobEvent failed = new JobEvent(JobEvent.SCHEMA_VERSION, jobId, JobEventType.FAILED,
                JobStateMachine.GATEWAY_SEQUENCE, step, totalSteps, null, null, reason, null, null, null,
                Instant.now(), null, attempts);
        return send(jobEventsExchange, failed.routingKey(), jobId, codec.encode(failed), true, eventConfirmTime);
    }

    private Uni<Void> send(String exchange, String routingKey, UUID jobId, String json, boolean mandatory,
                           Timer timer) {
        AMQP.BasicProperties properties = new AMQP.BasicProperties.Builder()
                .contentType("application/json")
                .deliveryMode(PERSISTENT)
                .messageId(jobId.toString())
                .timestamp(new Date())
                .build();
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        return Uni.createFrom().<Void>emitter(emitter -> {
                    long start = System.nanoTime();
                    Context caller = Vertx.currentContext();
                    publisher.publish(exchange, routingKey, properties, body, mandatory).whenComplete((ok, failure) -> {
                        Runnable deliver = () -> {
                            if (failure == null) {
                                timer.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
                                emitter.complete(null);
                            } else {
                                emitter.fail(failure);
                            }
                        };
                        if (caller == null) {
                            deliver.run();
                        } else {
                            caller.runOnContext(ignored -> deliver.run());
                        }
                    });
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
