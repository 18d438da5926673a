package io.texttoimage.gateway.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.net.URI;
import java.time.Duration;
import java.util.Optional;

/** Gateway settings ({@code t2i.gateway.*}); every key can be overridden by an environment variable. */
@ConfigMapping(prefix = "t2i.gateway")
public interface GatewayConfig {

    /** Lifetime of the signed image URLs handed out by {@code GET /generated-images/{id}/url}. */
    @WithDefault("PT1H")
    Duration signedUrlExpiry();

    /** Progress events are coalesced per job and written to PostgreSQL at most once per this interval. */
    @WithDefault("PT0.5S")
    Duration progressFlushInterval();

    /** Interval of SSE heartbeat events, so proxies do not close idle streams. */
    @WithDefault("PT15S")
    Duration sseHeartbeat();

    /**
     * A stream that has sent nothing but heartbeats for this long reads the job's stored state again, so it ends
     * even when this replica missed the job's last events (it restarted meanwhile).
     */
    @WithDefault("PT5S")
    Duration sseRecheckInterval();

    /** How long a submission waits for the broker's publisher confirm before the job is failed with 503. */
    @WithDefault("PT5S")
    Duration publishTimeout();

    /**
     * Where clients reach this API, e.g. {@code https://images.example.com}: the {@code Location} of a new job is
     * built from it. Unset: the {@code Location} is a relative path. Never taken from the request's Host header.
     */
    Optional<URI> publicBaseUrl();

    /** Job deadlines ({@code messaging.JobDeadlineCheck}); a request may ask for less than the maximum. */
    Deadlines deadlines();

    interface Deadlines {
        @WithDefault("PT1H")
        Duration queueTimeoutDefault();

        @WithDefault("PT24H")
        Duration queueTimeoutMax();

        @WithDefault("PT30M")
        Duration runTimeoutDefault();

        @WithDefault("PT6H")
        Duration runTimeoutMax();

        /** How often each replica fails the jobs past a deadline. */
        @WithDefault("PT1S")
        Duration checkInterval();
    }

    /** The outbox relay ({@code messaging.JobOutboxRelay}). */
    Outbox outbox();

    interface Outbox {
        /** How often each replica looks for queued jobs whose publish was never confirmed. */
        @WithDefault("PT5S")
        Duration sweepInterval();

        /** A job whose publish is still unconfirmed this long after its submission is failed instead. */
        @WithDefault("PT10M")
        Duration giveUpAfter();
    }

    /**
     * Identity of this replica; names its own auto-delete event queue. Defaults to a random UUID
     * ({@link InstanceIdConfigSource}); set it to the pod name to make queues recognisable.
     */
    String instanceId();
}
