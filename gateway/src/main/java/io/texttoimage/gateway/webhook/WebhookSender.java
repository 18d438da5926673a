package io.texttoimage.gateway.webhook;

import io.quarkus.runtime.ShutdownEvent;
import io.smallrye.mutiny.Uni;
import io.texttoimage.gateway.config.GatewayConfig;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * POSTs one delivery with the Vert.x HTTP client (non-blocking, on the caller's event loop) to the address that
 * {@link WebhookTargets} checked, with the URL's host in the Host header and for TLS (SNI, certificate check). No
 * redirects are followed (a redirect could lead to an address the rule forbids: it counts as a failed attempt), no
 * connection is kept, at most {@link #MAX_RESPONSE_BYTES} of the answer are read, and the whole exchange is bounded
 * by {@code t2i.gateway.webhooks.response-timeout}.
 */
@ApplicationScoped
public class WebhookSender {
    static final String EVENT_HEADER = "t2i-webhook-event";
    static final long MAX_RESPONSE_BYTES = 64 * 1024;

    private final Vertx vertx;
    private final HttpClient client;
    private final Duration connectTimeout;
    private final Duration responseTimeout;

    public WebhookSender(Vertx vertx, GatewayConfig config) {
        this.vertx = vertx;
        this.connectTimeout = config.webhooks().connectTimeout();
        this.responseTimeout = config.webhooks().responseTimeout();
        this.client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(false)
                .setConnectTimeout((int) connectTimeout.toMillis()).setVerifyHost(true).setMaxRedirects(0));
    }

    void close(@Observes ShutdownEvent event) {
        client.close();
    }

    /** One message: the headers of one signed attempt. */
    record Message(String id, long timestamp, String signature, String event) {
    }

    /** Yields the receiver's status; fails when there is none (refused, reset, timed out). */
    Uni<Integer> post(WebhookTargets.Target target, Message message, String body) {
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST)
                .setServer(SocketAddress.inetSocketAddress(target.port(), target.address().getHostAddress()))
                .setHost(target.host()).setPort(target.port()).setSsl(target.tls()).setURI(target.pathAndQuery())
                .setFollowRedirects(false).setConnectTimeout(connectTimeout.toMillis())
                .putHeader("Content-Type", "application/json")
                .putHeader("User-Agent", "text-to-image-gateway-webhooks")
                .putHeader(WebhookSignature.ID, message.id())
                .putHeader(WebhookSignature.TIMESTAMP, Long.toString(message.timestamp()))
                .putHeader(WebhookSignature.SIGNATURE, message.signature())
                .putHeader(EVENT_HEADER, message.event());
        return Uni.createFrom().emitter(emitter -> {
            Promise<Integer> status = Promise.promise();
            status.future().onComplete(result -> {
                if (result.succeeded()) {
                    emitter.complete(result.result());
                } else {
                    emitter.fail(result.cause());
                }
            });
            long timer = vertx.setTimer(responseTimeout.toMillis(), id -> status.tryFail(new TimeoutException(
                    "no answer within " + responseTimeout.toMillis() / 1000.0 + " s")));
            status.future().onComplete(ignored -> vertx.cancelTimer(timer));
            client.request(options).onFailure(status::tryFail).onSuccess(request -> {
                status.future().onFailure(ignored -> request.reset());
                send(request, body, status);
            });
        });
    }

    private static void send(HttpClientRequest request, String body, Promise<Integer> status) {
        request.response().onFailure(status::tryFail).onSuccess(response -> {
            int code = response.statusCode();
            AtomicLong read = new AtomicLong();
            response.handler(chunk -> {
                if (read.addAndGet(chunk.length()) > MAX_RESPONSE_BYTES && status.tryComplete(code)) {
                    request.reset(); // the status is what counts; a long answer is not read to its end
                }
            });
            response.exceptionHandler(e -> status.tryComplete(code));
            response.endHandler(ignored -> status.tryComplete(code));
        });
        request.end(Buffer.buffer(body.getBytes(StandardCharsets.UTF_8))).onFailure(status::tryFail);
    }
}
