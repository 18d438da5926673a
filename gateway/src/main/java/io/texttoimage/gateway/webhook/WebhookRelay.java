package io.texttoimage.gateway.webhook;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.texttoimage.gateway.config.GatewayConfig;
import io.texttoimage.gateway.job.WebhookDeliveries;
import io.texttoimage.gateway.job.WebhookDeliveries.Attempt;
import io.texttoimage.gateway.job.WebhookDeliveries.Due;
import io.texttoimage.gateway.job.WebhookEvent;
import io.texttoimage.gateway.messaging.PeriodicPass;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletionException;

/**
 * Sends the webhook deliveries: every {@code t2i.gateway.webhooks.poll-interval}, each replica locks the due ones
 * ({@link WebhookDeliveries#sendDue}, SKIP LOCKED: one replica sends each), POSTs them at once, signed
 * ({@link WebhookSignature}), to the address checked again now ({@link WebhookTargets#resolve}), and records each
 * attempt. A 2xx answer delivers; any other answer, no answer or a timeout is retried after 1 s
 * ({@code retry-initial}), doubling up to {@code retry-max}, until {@code give-up-after} from the event; 410 Gone
 * and a URL that now resolves to a forbidden address give up at once, and a progress delivery is tried once (the
 * next progress or the end supersedes it). The rows are in PostgreSQL, so a delivery enqueued before a crash or a
 * restart is sent by whichever replica runs next.
 */
@ApplicationScoped
public class WebhookRelay {
    private static final Logger LOG = Logger.getLogger(WebhookRelay.class);

    private final WebhookDeliveries deliveries;
    private final WebhookTargets targets;
    private final WebhookSender sender;
    private final JobRecords records;
    private final GatewayConfig.Webhooks config;
    private final WebhookSignature signature;
    private final Counter sent;
    private final Counter failed;
    private final Counter givenUp;
    private final PeriodicPass<List<Attempt>> passes;

    public WebhookRelay(WebhookDeliveries deliveries, WebhookTargets targets, WebhookSender sender,
                        JobRecords records, GatewayConfig config, MeterRegistry registry) {
        this.deliveries = deliveries;
        this.targets = targets;
        this.sender = sender;
        this.records = records;
        this.config = config.webhooks();
        // a malformed secret stops the start with its reason, rather than the first delivery
        this.signature = this.config.secret().map(WebhookSignature::of).orElse(null);
        this.sent = registry.counter("t2i.gateway.webhooks.deliveries.sent");
        this.failed = registry.counter("t2i.gateway.webhooks.deliveries.failed");
        this.givenUp = registry.counter("t2i.gateway.webhooks.deliveries.given.up");
        // a pass sends its batch at once, each bounded by the connect and response timeouts; DNS adds its own
        Duration limit = this.config.connectTimeout().plus(this.config.responseTimeout()).multipliedBy(2)
                .plusSeconds(30);
        this.passes = new PeriodicPass<>("Webhook relay", LOG, List.of(), limit, this::sendOnce);
    }

    void start(@Observes StartupEvent event, Vertx vertx) {
        if (signature != null) {
            passes.start(vertx, config.pollInterval());
        }
    }

    void stop(@Observes ShutdownEvent event, Vertx vertx) {
        passes.stop(vertx);
    }

    /** One pass (skipped while the previous one runs); yields the attempts it made. */
    public Uni<List<Attempt>> send() {
        return passes.run();
    }

    private Uni<List<Attempt>> sendOnce() {
        return deliveries.sendDue(config.batchSize(), due -> Multi.createFrom().iterable(due)
                .onItem().transformToUniAndMerge(this::attempt)
                .collect().asList());
    }

    private Uni<Attempt> attempt(Due due) {
        Uni<String> payload = due.payload() != null ? Uni.createFrom().item(due.payload()) : records.json(due.jobId());
        return payload.flatMap(body -> targets.resolve(due.url())
                .flatMap(target -> sender.post(target, message(due, body), body))
                .map(status -> outcome(due, body, status, null))
                .onFailure().recoverWithItem(failure -> outcome(due, body, null, unwrapped(failure))));
    }

    private WebhookSender.Message message(Due due, String body) {
        String id = due.messageId().toString();
        long timestamp = Instant.now().getEpochSecond();
        return new WebhookSender.Message(id, timestamp,
                signature.sign(id, timestamp, body.getBytes(StandardCharsets.UTF_8)), due.event().apiName());
    }

    /** What one attempt means for the delivery: delivered, retried at a later time, or given up. */
    private Attempt outcome(Due due, String body, Integer status, Throwable failure) {
        if (status != null && status >= 200 && status < 300) {
            sent.increment();
            return new Attempt(due.messageId(), body, status, null, null, true);
        }
        failed.increment();
        String error = status != null ? "HTTP " + status + " from the receiver"
                : failure instanceof WebhookTargets.Refused refused ? "refused: " + refused.getMessage()
                : describe(failure);
        Instant retryAt = Instant.now().plus(backoff(due.attempts() + 1));
        String finalReason = status != null && status == 410 ? "the receiver answered 410 Gone"
                : failure instanceof WebhookTargets.Refused ? "the URL is refused now"
                : due.event() == WebhookEvent.PROGRESS ? "progress is sent once"
                : retryAt.isAfter(due.enqueuedAt().plus(config.giveUpAfter())) ? "failing for "
                + config.giveUpAfter() : null;
        if (finalReason != null) {
            givenUp.increment();
            LOG.infof("Job %s: gave up its %s webhook after %d attempt(s) (%s): %s", due.jobId(),
                    due.event().apiName(), due.attempts() + 1, finalReason, error);
            return new Attempt(due.messageId(), body, status, error, null, false);
        }
        LOG.debugf("Job %s: %s webhook attempt %d failed (%s); next at %s", due.jobId(), due.event().apiName(),
                due.attempts() + 1, error, retryAt);
        return new Attempt(due.messageId(), body, status, error, retryAt, false);
    }

    /** The pause after the {@code attempts}th failure: retry-initial, doubling, at most retry-max. */
    Duration backoff(int attempts) {
        Duration pause = config.retryInitial();
        for (int i = 1; i < attempts && pause.compareTo(config.retryMax()) < 0; i++) {
            pause = pause.multipliedBy(2);
        }
        return pause.compareTo(config.retryMax()) > 0 ? config.retryMax() : pause;
    }

    private static Throwable unwrapped(Throwable failure) {
        return failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    }

    private static String describe(Throwable failure) {
        String message = failure.getMessage();
        String kind = failure.getClass().getSimpleName();
        return message == null || message.isBlank() ? kind : kind + ": " + message;
    }
}
