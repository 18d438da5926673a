package io.texttoimage.gateway.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.net.URI;
import java.time.Duration;
import java.util.List;
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

    /** Webhooks: the SSRF rule's allow-list, signing, sending and retries ({@code webhook} package). */
    Webhooks webhooks();

    interface Webhooks {
        /**
         * The key deliveries are signed with, as Standard Webhooks writes it: {@code whsec_} and the base64 of 24 to
         * 64 random bytes. Unset: webhooks are off, and a request with one is refused (400). One key for the whole
         * deployment until API keys exist (then one per key).
         */
        Optional<String> secret();

        /**
         * Host names (as written in the URL, any case) and addresses or CIDR blocks ({@code 10.1.2.3},
         * {@code 192.168.0.0/16}, {@code fd00::/8}) that a webhook may reach although they are loopback, private,
         * link-local or otherwise internal. Empty: only public addresses.
         */
        Optional<List<String>> allowedHosts();

        /** How often each replica looks for deliveries that are due. */
        @WithDefault("PT1S")
        Duration pollInterval();

        /** Deliveries locked and sent by one pass at most. */
        @WithDefault("50")
        int batchSize();

        /** Connecting to the receiver (TCP and TLS) may take this long. */
        @WithDefault("PT5S")
        Duration connectTimeout();

        /** The receiver must have answered, status and body, this long after the request was sent. */
        @WithDefault("PT10S")
        Duration responseTimeout();

        /** The pause after the first failed attempt; it doubles after each further one, up to {@link #retryMax}. */
        @WithDefault("PT1S")
        Duration retryInitial();

        @WithDefault("PT5M")
        Duration retryMax();

        /** A delivery still failing this long after its event is given up. */
        @WithDefault("PT1H")
        Duration giveUpAfter();

        /** At most one progress delivery per job within this interval (each sent once, never retried). */
        @WithDefault("PT5S")
        Duration progressInterval();
    }

    /** Authentication: API keys, the bootstrap admin key, stream tokens and JWTs ({@code auth} package). */
    Auth auth();

    interface Auth {
        /**
         * Off: every request is the unauthenticated caller (one owner that sees everything) and the gateway warns
         * at start. On by default; off only in dev and test mode.
         */
        @WithDefault("true")
        boolean enabled();

        /**
         * The server secret (at least 32 characters): API keys are stored as HMAC-SHA-256 under it, stream tokens
         * are signed with it. Required when authentication is on; the gateway refuses to start without it.
         */
        Optional<String> secret();

        /** A key (at least 32 characters) accepted as an admin with owner {@code admin}; never stored. */
        Optional<String> bootstrapAdminKey();

        /** Lifetime of the tokens of {@code POST /generated-images/{id}/stream-token}. */
        @WithDefault("PT5M")
        Duration streamTokenTtl();

        /** Bearer credentials that are not API keys, verified as JWTs by SmallRye JWT ({@code mp.jwt.verify.*}). */
        Jwt jwt();

        interface Jwt {
            @WithDefault("false")
            boolean enabled();

            /** The claim whose value is the caller's owner. */
            @WithDefault("sub")
            String ownerClaim();

            /** A token whose {@code groups} claim holds this is an admin. */
            @WithDefault("t2i-admin")
            String adminGroup();
        }
    }

    /**
     * Identity of this replica; names its own auto-delete event queue. Defaults to a random UUID
     * ({@link InstanceIdConfigSource}); set it to the pod name to make queues recognisable.
     */
    String instanceId();
}
