package io.texttoimage.gateway;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntUnaryOperator;

/**
 * A real HTTP server (the JDK's) on the allow-listed loopback address that records every delivery it gets, by path.
 * Each path answers by a rule of its own: the status for the n-th request (1-based), 200 unless told.
 */
final class WebhookReceiver implements AutoCloseable {
    record Delivery(Map<String, List<String>> headers, String body, long receivedNanos) {
        String header(String name) {
            return headers.entrySet().stream().filter(header -> header.getKey().equalsIgnoreCase(name))
                    .map(header -> header.getValue().getFirst()).findFirst().orElse(null);
        }
    }

    private final HttpServer server;
    private final Map<String, List<Delivery>> received = new ConcurrentHashMap<>();
    private final Map<String, IntUnaryOperator> answers = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();

    WebhookReceiver() throws IOException {
        server = HttpServer.create(new InetSocketAddress(GatewayTestResources.WEBHOOK_RECEIVER_HOST, 0), 0);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", this::handle);
        server.start();
    }

    /** The URL of a new path that answers {@code answer.applyAsInt(n)} to its n-th request. */
    String url(String path, IntUnaryOperator answer) {
        answers.put(path, answer);
        return "http://" + GatewayTestResources.WEBHOOK_RECEIVER_HOST + ":" + server.getAddress().getPort() + path;
    }

    int port() {
        return server.getAddress().getPort();
    }

    /** When the {@code index}th delivery to the path arrived ({@link System#nanoTime}). */
    long receivedAt(String path, int index) {
        return received(path).get(index).receivedNanos();
    }

    List<Delivery> received(String path) {
        synchronized (received) {
            return List.copyOf(received.getOrDefault(path, List.of()));
        }
    }

    private void handle(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        synchronized (received) {
            received.computeIfAbsent(path, p -> new ArrayList<>())
                    .add(new Delivery(Map.copyOf(exchange.getRequestHeaders()), body, System.nanoTime()));
        }
        int n = counts.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
        int status = answers.getOrDefault(path, ignored -> 200).applyAsInt(n);
        exchange.sendResponseHeaders(status, -1);
        exchange.close();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
