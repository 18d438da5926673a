package io.texttoimage.gateway.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.texttoimage.contracts.JobEvent;
import io.texttoimage.contracts.JobEventType;
import io.texttoimage.contracts.Topology;

import java.net.URI;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * Load generator for a running gateway (see bin/benchmark-gateway): submissions/s with latency percentiles,
 * status reads/s, and N concurrent SSE subscribers with the delay from publishing a job event on the broker
 * to its delivery on every stream. The client runs on the same machine as the gateway and competes for CPU.
 *
 * <p>Arguments ({@code --name value}): base (http://127.0.0.1:18080), prefix (t2i), rabbitmq-host (127.0.0.1),
 * submissions (5000), reads (20000), concurrency (64), sse (1000), sse-jobs (10), sse-events (20),
 * sse-interval-ms (100).
 */
public final class GatewayLoadGenerator {
    private static final ObjectMapper JSON = new ObjectMapper().findAndRegisterModules()
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);

    private final Map<String, String> options;
    private final String base;
    private final java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder().version(java.net.http.HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();

    private static final Vertx VERTX = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1)
            .setWorkerPoolSize(1).setInternalBlockingPoolSize(1));
    private static final io.vertx.core.Context loopContext = VERTX.getOrCreateContext();
    private static HttpClient client;

    private GatewayLoadGenerator(Map<String, String> options) {
        this.options = options;
        this.base = option("base", "http://127.0.0.1:18080");
        URI uri = URI.create(base);
        client = VERTX.createHttpClient(new HttpClientOptions().setDefaultHost(uri.getHost())
                .setDefaultPort(uri.getPort()).setKeepAlive(true).setTcpNoDelay(true)
                .setMaxPoolSize(intOption("concurrency", 64)).setMaxWaitQueueSize(-1));
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            options.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        GatewayLoadGenerator generator = new GatewayLoadGenerator(options);
        if (options.containsKey("cleanup")) {
            generator.deleteBrokerNames();
        } else {
            generator.run();
        }
        System.exit(0);
    }

    private String option(String name, String defaultValue) {
        return options.getOrDefault(name, defaultValue);
    }

    private int intOption(String name, int defaultValue) {
        return Integer.parseInt(option(name, Integer.toString(defaultValue)));
    }

    private void run() throws Exception {
        int concurrency = intOption("concurrency", 64);
        int submissions = intOption("submissions", 5000);
        int reads = intOption("reads", 20000);
        System.out.printf("gateway %s, %d cores, client concurrency %d%n", base,
                Runtime.getRuntime().availableProcessors(), concurrency);

        List<String> ids = new ArrayList<>();
        submit(Math.max(200, submissions / 10), concurrency, ids, "warm-up");
        read(Math.max(1000, reads / 10), concurrency, ids, "warm-up");

        ids.clear();
        double[] postBefore = serverTime("POST", "201", "/generated-images");
        double[] insertBefore = timer("t2i_gateway_db_insert_seconds", "");
        double[] confirmBefore = timer("t2i_gateway_publish_seconds", "channel=\"generation-requests\"");
        Result submit = submit(submissions, concurrency, ids, "measured");
        double[] postAfter = serverTime("POST", "201", "/generated-images");
        double[] insertAfter = timer("t2i_gateway_db_insert_seconds", "");
        double[] confirmAfter = timer("t2i_gateway_publish_seconds", "channel=\"generation-requests\"");
        double[] getBefore = serverTime("GET", "200", "/generated-images/{id}");
        Result read = read(reads, concurrency, ids, "measured");
        double[] getAfter = serverTime("GET", "200", "/generated-images/{id}");
        System.out.println(submit.describe("submissions (POST /generated-images, 201)"));
        System.out.printf("  mean time inside the gateway per submission: %.2f ms (INSERT %.2f ms, publish until "
                + "confirm %.2f ms)%n", meanMillis(postBefore, postAfter), meanMillis(insertBefore, insertAfter),
                meanMillis(confirmBefore, confirmAfter));
        System.out.println(read.describe("status reads (GET /generated-images/{id}, 200)"));
        System.out.printf("  mean time inside the gateway per read: %.2f ms%n", meanMillis(getBefore, getAfter));

        int subscribers = intOption("sse", 1000);
        if (subscribers > 0) {
            sse(subscribers, intOption("sse-jobs", 10), intOption("sse-events", 20), intOption("sse-interval-ms", 100));
        }
    }

    /** Removes the benchmark's durable queues and exchanges (run after the gateway has stopped). */
    private void deleteBrokerNames() throws Exception {
        String prefix = option("prefix", "t2i");
        ConnectionFactory factory = new ConnectionFactory();
        factory.setHost(option("rabbitmq-host", "127.0.0.1"));
        try (Connection connection = factory.newConnection("gateway-benchmark-cleanup");
             Channel channel = connection.createChannel()) {
            for (String queue : List.of(Topology.GENERATION_REQUESTS, Topology.JOB_EVENTS_PERSIST_QUEUE)) {
                channel.queueDelete(Topology.name(prefix, queue));
            }
            for (String exchange : List.of(Topology.GENERATION_REQUESTS, Topology.JOB_EVENTS, Topology.CONTROL)) {
                channel.exchangeDelete(Topology.name(prefix, exchange));
            }
        }
    }

    /** {sum of seconds, count} of the gateway's own http_server_requests timer for one route. */
    private double[] serverTime(String method, String status, String uri) throws Exception {
        return timer("http_server_requests_seconds", "method=\"" + method + "\"", "status=\"" + status + "\"",
                "uri=\"" + uri + "\"");
    }

    /** {sum of seconds, count} of a Prometheus timer whose lines contain all {@code labels}. */
    private double[] timer(String name, String... labels) throws Exception {
        String metrics = http.send(HttpRequest.newBuilder(URI.create(base + "/q/metrics")).GET().build(),
                HttpResponse.BodyHandlers.ofString()).body();
        double[] result = new double[2];
        for (String line : metrics.split("\n")) {
            if (!line.startsWith(name + "_sum") && !line.startsWith(name + "_count")) {
                continue;
            }
            if (!Arrays.stream(labels).allMatch(line::contains)) {
                continue;
            }
            double value = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            result[line.startsWith(name + "_sum") ? 0 : 1] = value;
        }
        return result;
    }

    private static double meanMillis(double[] before, double[] after) {
        double count = after[1] - before[1];
        return count <= 0 ? Double.NaN : (after[0] - before[0]) / count * 1000;
    }

    // ------------------------------------------------------------------ HTTP load

    private Result submit(int count, int concurrency, List<String> ids, String label) throws Exception {
        List<String> created = java.util.Collections.synchronizedList(new ArrayList<>());
        Result result = closedLoop(count, concurrency, i -> {
            String body = "{\"prompt\":\"benchmark prompt " + i + "\",\"num_steps\":20,\"seed\":" + i + "}";
            return client.request(HttpMethod.POST, "/generated-images")
                    .compose(request -> request.putHeader("Content-Type", "application/json").send(body))
                    .compose(response -> response.body().map(ignored -> {
                        String location = response.getHeader("Location");
                        if (response.statusCode() != 201 || location == null) {
                            return false;
                        }
                        created.add(location.substring(location.lastIndexOf('/') + 1));
                        return true;
                    }));
        });
        ids.addAll(created);
        System.out.printf("  %s submissions done: %d ok, %d failed%n", label, result.ok, result.failed);
        return result;
    }

    private Result read(int count, int concurrency, List<String> ids, String label) throws Exception {
        Result result = closedLoop(count, concurrency, i -> {
            String id = ids.get(i % ids.size());
            return client.request(HttpMethod.GET, "/generated-images/" + id)
                    .compose(request -> request.send())
                    .compose(response -> response.body().map(ignored -> response.statusCode() == 200));
        });
        System.out.printf("  %s reads done: %d ok, %d failed%n", label, result.ok, result.failed);
        return result;
    }

    interface Call {
        Future<Boolean> start(int index);
    }

    /**
     * {@code concurrency} requests in flight back to back (closed loop) on one Vert.x event loop over at most
     * {@code concurrency} HTTP/1.1 keep-alive connections; each call's latency is kept. Asynchronous, so that the
     * client costs the shared CPU as little as possible.
     */
    private static Result closedLoop(int count, int concurrency, Call call) throws Exception {
        long[] latencies = new long[count];
        AtomicInteger next = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(concurrency);
        long start = System.nanoTime();
        for (int w = 0; w < concurrency; w++) {
            loopContext.runOnContext(ignored -> issueNext(count, call, latencies, next, failed, done));
        }
        done.await();
        long elapsed = System.nanoTime() - start;
        return new Result(count - failed.get(), failed.get(), elapsed, latencies);
    }

    private static void issueNext(int count, Call call, long[] latencies, AtomicInteger next, AtomicInteger failed,
                                  CountDownLatch done) {
        int i = next.getAndIncrement();
        if (i >= count) {
            done.countDown();
            return;
        }
        long t0 = System.nanoTime();
        Future<Boolean> future;
        try {
            future = call.start(i);
        } catch (RuntimeException e) {
            future = Future.failedFuture(e);
        }
        future.onComplete(outcome -> {
            latencies[i] = System.nanoTime() - t0;
            if (outcome.failed() || !outcome.result()) {
                failed.incrementAndGet();
            }
            issueNext(count, call, latencies, next, failed, done);
        });
    }

    record Result(int ok, int failed, long elapsedNanos, long[] latencies) {
        String describe(String what) {
            long[] sorted = latencies.clone();
            Arrays.sort(sorted);
            return String.format("%-50s %8.0f req/s   p50 %6.2f ms   p99 %6.2f ms   max %7.2f ms   (%d ok, %d failed)",
                    what, ok * 1e9 / elapsedNanos, percentile(sorted, 50) / 1e6, percentile(sorted, 99) / 1e6,
                    sorted[sorted.length - 1] / 1e6, ok, failed);
        }
    }

    static long percentile(long[] sorted, double p) {
        if (sorted.length == 0) {
            return 0;
        }
        int index = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }

    // ------------------------------------------------------------------ SSE fan-out

    private void sse(int subscribers, int jobCount, int eventsPerJob, int intervalMs) throws Exception {
        List<UUID> jobs = new ArrayList<>();
        List<String> created = new ArrayList<>();
        submit(jobCount, Math.min(jobCount, 8), created, "sse");
        created.forEach(id -> jobs.add(UUID.fromString(id)));

        // publish time of (job, sequence), and every (stream, job, sequence) delivery time
        Map<String, Long> publishedAt = new ConcurrentHashMap<>();
        ConcurrentHashMap<String, Long> deliveredAt = new ConcurrentHashMap<>();
        CountDownLatch connected = new CountDownLatch(subscribers);
        CountDownLatch finished = new CountDownLatch(subscribers);
        AtomicLong delivered = new AtomicLong();
        AtomicInteger broken = new AtomicInteger();

        ExecutorService readers = Executors.newVirtualThreadPerTaskExecutor();
        for (int s = 0; s < subscribers; s++) {
            UUID job = jobs.get(s % jobs.size());
            int stream = s;
            readers.submit(() -> {
                boolean first = true;
                try (SseSocket socket = new SseSocket(URI.create(base + "/generated-images/" + job + "/events"))) {
                    String id = null;
                    String line;
                    while ((line = socket.readLine()) != null) {
                        if (line.startsWith("id:")) {
                            id = line.substring(3).trim();
                        } else if (line.isEmpty() && id != null) {
                            long now = System.nanoTime();
                            if (first) {
                                first = false;
                                connected.countDown();
                            } else {
                                deliveredAt.put(stream + "/" + job + "/" + id, now);
                                delivered.incrementAndGet();
                            }
                            id = null;
                        }
                    }
                } catch (Exception e) {
                    broken.incrementAndGet();
                } finally {
                    if (first) {
                        connected.countDown();
                    }
                    finished.countDown();
                }
                return null;
            });
        }
        long connectStart = System.nanoTime();
        boolean allConnected = connected.await(120, TimeUnit.SECONDS);
        System.out.printf("  %d SSE streams open in %.1f s (all: %s, broken: %d)%n", subscribers,
                (System.nanoTime() - connectStart) / 1e9, allConnected, broken.get());

        ConnectionFactory factory = new ConnectionFactory();
        factory.setHost(option("rabbitmq-host", "127.0.0.1"));
        String exchange = Topology.name(option("prefix", "t2i"), Topology.JOB_EVENTS);
        try (Connection connection = factory.newConnection("gateway-benchmark");
             Channel channel = connection.createChannel()) {
            AMQP.BasicProperties properties = new AMQP.BasicProperties.Builder().contentType("application/json").build();
            for (int e = 1; e <= eventsPerJob + 1; e++) {
                for (UUID job : jobs) {
                    JobEventType type = e == eventsPerJob + 1 ? JobEventType.SUCCEEDED
                            : e == 1 ? JobEventType.RUNNING : JobEventType.PROGRESS;
                    JobEvent event = new JobEvent(JobEvent.SCHEMA_VERSION, job, type, e, e - 1, eventsPerJob,
                            "benchmark", type == JobEventType.SUCCEEDED ? List.of("images/" + job + "/0.png") : null,
                            null, null, null, null, Instant.now());
                    byte[] body = JSON.writeValueAsBytes(event);
                    publishedAt.put(job + "/" + e, System.nanoTime());
                    channel.basicPublish(exchange, event.routingKey(), properties, body);
                }
                Thread.sleep(intervalMs);
            }
        }
        boolean allFinished = finished.await(60, TimeUnit.SECONDS);
        readers.shutdownNow();

        long[] delays = deliveredAt.entrySet().stream().mapToLong(entry -> {
            String key = entry.getKey();
            String jobAndSeq = key.substring(key.indexOf('/') + 1);
            return entry.getValue() - publishedAt.get(jobAndSeq);
        }).sorted().toArray();
        long expected = (long) subscribers * (eventsPerJob + 1);
        System.out.printf("%-50s %d subscribers on %d jobs, %d events each: delivered %d of %d; "
                        + "delay p50 %.2f ms   p99 %.2f ms   max %.2f ms; all streams closed after the terminal event: %s%n",
                "SSE fan-out (publish on broker -> SSE client)", subscribers, jobs.size(), eventsPerJob + 1,
                delivered.get(), expected, percentile(delays, 50) / 1e6, percentile(delays, 99) / 1e6,
                delays.length == 0 ? 0 : delays[delays.length - 1] / 1e6, allFinished);
    }

    /**
     * A deliberately cheap SSE reader (one blocking socket per stream on a virtual thread, chunked decoding by
     * hand): with a thousand streams the JDK HTTP client's per-connection machinery would cost the shared CPU
     * more than the gateway does.
     */
    static final class SseSocket implements AutoCloseable {
        private final java.net.Socket socket;
        private final Bytes in;
        private final StringBuilder line = new StringBuilder();
        private int chunkLeft;
        private boolean chunked;
        private boolean ended;

        SseSocket(URI uri) throws java.io.IOException {
            socket = new java.net.Socket(uri.getHost(), uri.getPort());
            socket.setTcpNoDelay(true);
            in = new Bytes(socket.getInputStream());
            String request = "GET " + uri.getRawPath() + " HTTP/1.1\r\nHost: " + uri.getHost() + ":" + uri.getPort()
                    + "\r\nAccept: text/event-stream\r\n\r\n";
            socket.getOutputStream().write(request.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            String status = rawLine();
            if (status == null || !status.contains(" 200")) {
                throw new java.io.IOException("SSE request failed: " + status);
            }
            String header;
            while ((header = rawLine()) != null && !header.isEmpty()) {
                if (header.toLowerCase(java.util.Locale.ROOT).startsWith("transfer-encoding:")
                        && header.toLowerCase(java.util.Locale.ROOT).contains("chunked")) {
                    chunked = true;
                }
            }
        }

        /** The next line of the event stream (chunk framing removed), or null at its end. */
        String readLine() throws java.io.IOException {
            line.setLength(0);
            while (true) {
                int c = nextBodyByte();
                if (c < 0) {
                    return line.isEmpty() ? null : line.toString();
                }
                if (c == '\n') {
                    return line.toString();
                }
                if (c != '\r') {
                    line.append((char) c);
                }
            }
        }

        private int nextBodyByte() throws java.io.IOException {
            if (!chunked) {
                return in.read();
            }
            if (ended) {
                return -1;
            }
            if (chunkLeft == 0) {
                String size = rawLine();
                if (size != null && size.isEmpty()) {
                    size = rawLine(); // CRLF that ends the previous chunk
                }
                if (size == null) {
                    ended = true;
                    return -1;
                }
                int semicolon = size.indexOf(';');
                chunkLeft = Integer.parseInt((semicolon >= 0 ? size.substring(0, semicolon) : size).trim(), 16);
                if (chunkLeft == 0) {
                    ended = true;
                    return -1;
                }
            }
            chunkLeft--;
            return in.read();
        }

        private String rawLine() throws java.io.IOException {
            StringBuilder raw = new StringBuilder();
            int c;
            while ((c = in.read()) >= 0) {
                if (c == '\n') {
                    return raw.toString();
                }
                if (c != '\r') {
                    raw.append((char) c);
                }
            }
            return raw.isEmpty() ? null : raw.toString();
        }

        @Override
        public void close() throws java.io.IOException {
            socket.close();
        }

        /** An unsynchronised read buffer: BufferedInputStream takes a lock per byte, which a thousand readers feel. */
        private static final class Bytes {
            private final java.io.InputStream source;
            private final byte[] buffer = new byte[8192];
            private int position;
            private int limit;

            Bytes(java.io.InputStream source) {
                this.source = source;
            }

            int read() throws java.io.IOException {
                if (position == limit) {
                    int n = source.read(buffer, 0, buffer.length);
                    if (n <= 0) {
                        return -1;
                    }
                    position = 0;
                    limit = n;
                }
                return buffer[position++] & 0xff;
            }
        }
    }
}
