package io.texttoimage.gateway.webhook;

import io.smallrye.mutiny.Uni;
import io.texttoimage.gateway.config.GatewayConfig;
import io.texttoimage.gateway.job.WebhookEvent;
import io.texttoimage.gateway.job.WebhookRequest;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletionException;

/**
 * Where a webhook may go. A request's {@code webhook} is checked before its job is stored ({@link #check}): an
 * absolute http(s) URL without user information, known events, webhooks enabled (a signing secret is configured),
 * and a host that resolves only to addresses the SSRF rule allows ({@link AddressRules}). Each delivery resolves the
 * host again ({@link #resolve}: a name may point elsewhere by then, DNS rebinding) and connects to the address it
 * checked, never to one looked up anew.
 */
@ApplicationScoped
public class WebhookTargets {
    private final AddressRules rules;
    private final boolean enabled;
    private final Vertx vertx;

    public WebhookTargets(GatewayConfig config, Vertx vertx) {
        this.rules = AddressRules.allowing(config.webhooks().allowedHosts().orElse(List.of()));
        this.enabled = config.webhooks().secret().isPresent();
        this.vertx = vertx;
    }

    /** A webhook refused: {@code field} is its name in the request ({@code webhook.url}, {@code webhook.events}). */
    public static final class Refused extends RuntimeException {
        private final String field;

        Refused(String field, String message) {
            super(message);
            this.field = field;
        }

        public String field() {
            return field;
        }
    }

    /** Where one delivery connects: the checked address, with the URL's host for the Host header, SNI and TLS. */
    public record Target(URI uri, String host, int port, boolean tls, InetAddress address) {
        /** The request target: path and query as written ({@code /} for none). */
        String pathAndQuery() {
            String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
            return uri.getRawQuery() == null ? path : path + "?" + uri.getRawQuery();
        }
    }

    /** Checks a submission's webhook (nothing for none); fails with {@link Refused}. */
    public Uni<Void> check(WebhookRequest webhook) {
        if (webhook == null) {
            return Uni.createFrom().voidItem();
        }
        if (!enabled) {
            return Uni.createFrom().failure(new Refused("webhook", "webhooks are not enabled on this server: it has "
                    + "no signing secret (t2i.gateway.webhooks.secret); submit the job without 'webhook', or ask "
                    + "its operator to set one"));
        }
        try {
            checkEvents(webhook.events());
            return resolve(webhook.url()).replaceWithVoid();
        } catch (Refused refused) {
            return Uni.createFrom().failure(refused);
        }
    }

    /**
     * The URL's target: parsed, its host resolved (off the event loop) and every address checked; fails with
     * {@link Refused} (field {@code webhook.url}).
     */
    public Uni<Target> resolve(String url) {
        URI uri;
        try {
            uri = parse(url);
        } catch (Refused refused) {
            return Uni.createFrom().failure(refused);
        }
        String host = unbracketed(uri.getHost());
        boolean tls = uri.getScheme().equalsIgnoreCase("https");
        int port = uri.getPort() >= 0 ? uri.getPort() : tls ? 443 : 80;
        return Uni.createFrom().completionStage(() -> vertx.executeBlocking(() -> addressOf(host), false)
                        .toCompletionStage())
                .onFailure(CompletionException.class).transform(Throwable::getCause)
                .map(address -> new Target(uri, host, port, tls, address));
    }

    /** The first address of the host, after checking all of them (one forbidden address refuses the host). */
    private InetAddress addressOf(String host) {
        Optional<InetAddress> literal = AddressRules.literal(host);
        InetAddress[] addresses;
        try {
            addresses = literal.isPresent() ? new InetAddress[] {literal.get()} : InetAddress.getAllByName(host);
        } catch (UnknownHostException e) {
            throw new Refused("webhook.url", "the host '" + host + "' cannot be resolved");
        }
        if (literal.isEmpty() && rules.allowsName(host)) {
            return addresses[0];
        }
        for (InetAddress address : addresses) {
            Optional<String> refusal = rules.refusal(address);
            if (refusal.isPresent()) {
                throw new Refused("webhook.url", (literal.isPresent() ? "the host is " : "'" + host + "' resolves to ")
                        + refusal.get() + ": webhooks may only call public addresses, unless the server allows "
                        + "more (t2i.gateway.webhooks.allowed-hosts)");
            }
        }
        return addresses[0];
    }

    private static URI parse(String url) {
        if (url == null || url.isBlank()) {
            throw new Refused("webhook.url", "must not be blank");
        }
        if (url.length() > WebhookRequest.MAX_URL_LENGTH) {
            throw new Refused("webhook.url", "must be at most " + WebhookRequest.MAX_URL_LENGTH + " characters");
        }
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new Refused("webhook.url", "is not a valid URL: " + e.getReason());
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!uri.isAbsolute() || !(scheme.equals("http") || scheme.equals("https"))) {
            throw new Refused("webhook.url", "must be an absolute http:// or https:// URL");
        }
        if (uri.getHost() == null) {
            throw new Refused("webhook.url", "must name a host (a DNS name or an IP address)");
        }
        if (uri.getRawUserInfo() != null) {
            throw new Refused("webhook.url", "must not contain user information (user:password@)");
        }
        return uri;
    }

    private static void checkEvents(List<String> events) {
        if (events == null) {
            return; // the default
        }
        if (events.isEmpty()) {
            throw new Refused("webhook.events", "must name at least one event (leave it out for [\"completed\"])");
        }
        for (String event : events) {
            if (event == null || WebhookEvent.fromApiName(event).isEmpty()) {
                throw new Refused("webhook.events", "unknown event '" + event + "': the events are "
                        + WebhookEvent.NAMES_TEXT);
            }
        }
    }

    private static String unbracketed(String host) {
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }
}
