package io.texttoimage.gateway.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import io.texttoimage.broker.BrokerSettings;
import io.texttoimage.broker.Role;
import io.texttoimage.broker.Topology;
import io.texttoimage.broker.TopologyDeclarer;
import io.texttoimage.contracts.JobEvent;
import io.texttoimage.contracts.JobEventType;

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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * Load generator for a running gateway (see bin/benchmark-gateway): submissions/s with latency percentiles,
 * status reads/s, and N concurrent SSE subscribers with the delay from publishing a job event on the broker
 * to its delivery on every stream. The client runs on the same machine as the gateway and competes for CPU.
 *
 * <p>Arguments ({@code --name value}): base (http://127.0.0.1:18080), management (http://127.0.0.1:19080: its
 * metrics), prefix (t2i), rabbitmq-host (127.0.0.1),
 * warmup-submissions (40000), warmup-reads (30000), submissions (20000), reads (50000), concurrency (8), sse (1000),
 * sse-jobs (10), sse-events (60), sse-interval-ms (100), sse-warmup-rounds (2), api-key (the environment's
 * T2I_API_KEY; sent as Authorization: Bearer on every API request, none when empty).
 */
public final class GatewayLoadGenerator {
    private static final ObjectMapper JSON = new ObjectMapper().findAndRegisterModules()
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);

    private final Map<String, String> options;
    private final String base;
    private final String management;
    /** "Bearer <key>", or null for a gateway with authentication off. */
    private final String authorization;
    private final java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder().version(java.net.http.HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();

    private static final Vertx VERTX = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1)
            .setWorkerPoolSize(1).setInternalBlockingPoolSize(1));
    private static final io.vertx.core.Context loopContext = VERTX.getOrCreateContext();
    private static HttpClient client;

    private GatewayLoadGenerator(Map<String, String> options) {
        this.options = options;
        this.base = option("base", "http://127.0.0.1:18080");
        this.management = option("management", "http://127.0.0.1:19080");
        String apiKey = option("api-key", System.getenv().getOrDefault("T2I_API_KEY", ""));
        this.authorization = apiKey.isBlank() ? null : "Bearer " + apiKey.strip();
        URI uri = URI.create(base);
        client = VERTX.createHttpClient(new HttpClientOptions().setDefaultHost(uri.getHost())
                .setDefaultPort(uri.getPort()).setKeepAlive(true).setTcpNoDelay(true)
                .setMaxPoolSize(intOption("concurrency", 8)).setMaxWaitQueueSize(-1));
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
        int concurrency = intOption("concurrency", 8);
        int submissions = intOption("submissions", 20000);
        int reads = intOption("reads", 50000);
        System.out.printf("gateway %s, %d cores, client concurrency %d%n", base,
                Runtime.getRuntime().availableProcessors(), concurrency);

        // Warm-up until the JIT has compiled the hot paths: on two cores the gateway's first few thousand requests
        // share the CPU with C2, and short runs measured mostly that (about half the steady-state rate).
        List<String> ids = new ArrayList<>();
        submit(intOption("warmup-submissions", 40000), concurrency, ids, "warm-up");
        read(intOption("warmup-reads", 30000), concurrency, ids, "warm-up");

        ids.clear();
        double[] postBefore = serverTime("POST", "201", "/generated-images");
        double[] insertBefore = timer("t2i_gateway_db_insert_seconds", "");
        double[] confirmBefore = timer("t2i_gateway_publish_seconds", "channel=\"generation-requests\"");
        double[] markBefore = timer("t2i_gateway_db_mark_published_seconds", "");
        double[] marksBefore = timer("t2i_gateway_db_mark_published_jobs");
        Result submit = submit(submissions, concurrency, ids, "measured");
        double[] postAfter = serverTime("POST", "201", "/generated-images");
        double[] insertAfter = timer("t2i_gateway_db_insert_seconds", "");
        double[] confirmAfter = timer("t2i_gateway_publish_seconds", "channel=\"generation-requests\"");
        double[] markAfter = timer("t2i_gateway_db_mark_published_seconds", "");
        double[] marksAfter = timer("t2i_gateway_db_mark_published_jobs");
        double[] getBefore = serverTime("GET", "200", "/generated-images/{id}");
        Result read = read(reads, concurrency, ids, "measured");
        double[] getAfter = serverTime("GET", "200", "/generated-images/{id}");
        System.out.println(submit.describe("submissions (POST /generated-images, 201)"));
        System.out.printf("  mean time inside the gateway per submission: %.2f ms (INSERT %.2f ms, publish until "
                + "confirm %.2f ms)%n", meanMillis(postBefore, postAfter), meanMillis(insertBefore, insertAfter),
                meanMillis(confirmBefore, confirmAfter));
        double updates = markAfter[1] - markBefore[1]; // {sum, count}: a summary reads like a timer
        System.out.printf("  outbox: the confirms recorded by %.0f UPDATEs (%.1f jobs each, %.2f ms each, not waited "
                + "for by the submission)%n", updates, (marksAfter[0] - marksBefore[0]) / updates,
                meanMillis(markBefore, markAfter));
        System.out.println(read.describe("status reads (GET /generated-images/{id}, 200)"));
        System.out.printf("  mean time inside the gateway per read: %.2f ms%n", meanMillis(getBefore, getAfter));

        int subscribers = intOption("sse", 1000);
        if (subscribers > 0) {
            // One unmeasured round first, for the same reason as the HTTP warm-up.
            for (int round = intOption("sse-warmup-rounds", 2); round > 0; round--) {
                sse("SSE fan-out warm-up round", subscribers, intOption("sse-jobs", 10), intOption("sse-events", 60),
                        intOption("sse-interval-ms", 100));
            }
            sse("SSE fan-out (publish on broker -> SSE client)", subscribers, intOption("sse-jobs", 10),
                    intOption("sse-events", 60), intOption("sse-interval-ms", 100));
        }
    }

    /** Removes the benchmark's durable queues and exchanges (run after the gateway has stopped). */
    private void deleteBrokerNames() throws Exception {
        try (Connection connection = broker().connectionFactory().newConnection("gateway-benchmark-cleanup")) {
            TopologyDeclarer.delete(connection, List.of(topology().startupOf(Role.GATEWAY)));
        }
    }

    private BrokerSettings broker() {
        return BrokerSettings.plain(option("rabbitmq-host", "127.0.0.1"), 5672, "guest", "guest");
    }

    private Topology topology() {
        return new Topology(option("prefix", Topology.DEFAULT_PREFIX));
    }

    /** {sum of seconds, count} of the gateway's own http_server_requests timer for one route. */
    private double[] serverTime(String method, String status, String uri) throws Exception {
        return timer("http_server_requests_seconds", "method=\"" + method + "\"", "status=\"" + status + "\"",
                "uri=\"" + uri + "\"");
    }

    /** {sum of seconds, count} of a Prometheus timer whose lines contain all {@code labels}. */
    private double[] timer(String name, String... labels) throws Exception {
        String metrics = http.send(HttpRequest.newBuilder(URI.create(management + "/q/metrics")).GET().build(),
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
                    .compose(request -> authorized(request).putHeader("Content-Type", "application/json").send(body))
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
                    .compose(request -> authorized(request).send())
                    .compose(response -> response.body().map(ignored -> response.statusCode() == 200));
        });
        System.out.printf("  %s reads done: %d ok, %d failed%n", label, result.ok, result.failed);
        return result;
    }

    private io.vertx.core.http.HttpClientRequest authorized(io.vertx.core.http.HttpClientRequest request) {
        return authorization == null ? request : request.putHeader("Authorization", authorization);
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
        long[] finishedAt = new long[count];
        AtomicInteger next = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(concurrency);
        long start = System.nanoTime();
        for (int w = 0; w < concurrency; w++) {
            loopContext.runOnContext(ignored -> issueNext(count, call, latencies, finishedAt, next, failed, done));
        }
        done.await();
        long elapsed = System.nanoTime() - start;
        return new Result(count - failed.get(), failed.get(), elapsed, latencies, ratesByFifth(start, finishedAt));
    }

    /** Requests per second in each fifth of the run's wall time: a rising rate means the JIT was not done yet. */
    private static double[] ratesByFifth(long start, long[] finishedAt) {
        long end = Arrays.stream(finishedAt).max().orElse(start);
        double fifth = Math.max(1, end - start) / 5.0;
        double[] rates = new double[5];
        for (long at : finishedAt) {
            rates[(int) Math.min(4, (at - start) / fifth)]++;
        }
        for (int i = 0; i < 5; i++) {
            rates[i] = rates[i] * 1e9 / fifth;
        }
        return rates;
    }

    private static void issueNext(int count, Call call, long[] latencies, long[] finishedAt, AtomicInteger next,
                                  AtomicInteger failed, CountDownLatch done) {
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
            finishedAt[i] = System.nanoTime();
            latencies[i] = finishedAt[i] - t0;
            if (outcome.failed() || !outcome.result()) {
                failed.incrementAndGet();
            }
            issueNext(count, call, latencies, finishedAt, next, failed, done);
        });
    }

    record Result(int ok, int failed, long elapsedNanos, long[] latencies, double[] ratesByFifth) {
        String describe(String what) {
            long[] sorted = latencies.clone();
            Arrays.sort(sorted);
            return String.format("%-50s %8.0f req/s   p50 %6.2f ms   p99 %6.2f ms   max %7.2f ms   (%d ok, %d failed)"
                            + "%n  req/s in each fifth of the run: %s",
                    what, ok * 1e9 / elapsedNanos, percentile(sorted, 50) / 1e6, percentile(sorted, 99) / 1e6,
                    sorted[sorted.length - 1] / 1e6, ok, failed,
                    Arrays.stream(ratesByFifth).mapToObj(rate -> String.format("%.0f", rate))
                            .collect(java.util.stream.Collectors.joining(" ")));
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

    private void sse(String label, int subscribers, int jobCount, int eventsPerJob, int intervalMs) throws Exception {
        List<UUID> jobs = new ArrayList<>();
        List<String> created = new ArrayList<>();
        submit(jobCount, Math.min(jobCount, 8), created, "sse");
        created.forEach(id -> jobs.add(UUID.fromString(id)));

        int lastSequence = eventsPerJob + 1;
        // publishedAt[job][sequence] and deliveredAt[stream][sequence], System.nanoTime(); 0 = never
        long[][] publishedAt = new long[jobs.size()][lastSequence + 1];
        long[][] deliveredAt = new long[subscribers][lastSequence + 1];
        CountDownLatch connected = new CountDownLatch(subscribers);
        CountDownLatch finished = new CountDownLatch(subscribers);
        AtomicInteger broken = new AtomicInteger();

        URI uri = URI.create(base);
        io.vertx.core.net.NetClient net = VERTX.createNetClient(new io.vertx.core.net.NetClientOptions()
                .setTcpNoDelay(true).setConnectTimeout(10_000));
        for (int s = 0; s < subscribers; s++) {
            UUID job = jobs.get(s % jobs.size());
            long[] times = deliveredAt[s];
            loopContext.runOnContext(ignored -> net.connect(uri.getPort(), uri.getHost()).onComplete(socket -> {
                if (socket.failed()) {
                    broken.incrementAndGet();
                    connected.countDown();
                    finished.countDown();
                    return;
                }
                io.vertx.core.net.NetSocket open = socket.result();
                SseStreamParser parser = new SseStreamParser(times, connected, broken, () -> {
                    finished.countDown();
                    open.close();
                });
                open.handler(parser::feed);
                open.closeHandler(closed -> parser.closed());
                socket.result().write("GET /generated-images/" + job + "/events HTTP/1.1\r\nHost: " + uri.getHost()
                        + ":" + uri.getPort() + "\r\nAccept: text/event-stream\r\n"
                        + (authorization == null ? "" : "Authorization: " + authorization + "\r\n") + "\r\n");
            }));
        }
        double[] ageBefore = timer("t2i_gateway_job_event_age_seconds", "");
        long connectStart = System.nanoTime();
        boolean allConnected = connected.await(120, TimeUnit.SECONDS);
        System.out.printf("  %d SSE streams open in %.1f s (all: %s, broken: %d)%n", subscribers,
                (System.nanoTime() - connectStart) / 1e9, allConnected, broken.get());

        String exchange = topology().jobEventsExchange();
        try (Connection connection = broker().connectionFactory().newConnection("gateway-benchmark");
             Channel channel = connection.createChannel()) {
            AMQP.BasicProperties properties = new AMQP.BasicProperties.Builder().contentType("application/json").build();
            for (int e = 1; e <= lastSequence; e++) {
                for (int j = 0; j < jobs.size(); j++) {
                    UUID job = jobs.get(j);
                    JobEventType type = e == lastSequence ? JobEventType.SUCCEEDED
                            : e == 1 ? JobEventType.RUNNING : JobEventType.PROGRESS;
                    JobEvent event = new JobEvent(JobEvent.SCHEMA_VERSION, job, type, e, e - 1, eventsPerJob,
                            "benchmark", type == JobEventType.SUCCEEDED ? List.of("images/" + job + "/0.png") : null,
                            null, null, null, null, Instant.now());
                    byte[] body = JSON.writeValueAsBytes(event);
                    publishedAt[j][e] = System.nanoTime();
                    channel.basicPublish(exchange, event.routingKey(), properties, body);
                }
                Thread.sleep(intervalMs);
            }
        }
        boolean allFinished = finished.await(60, TimeUnit.SECONDS);
        net.close();
        double[] ageAfter = timer("t2i_gateway_job_event_age_seconds", "");

        long[] delays = new long[subscribers * lastSequence];
        int count = 0;
        synchronized (deliveredAt) { // the event loop wrote them; this read happens after finished (or the timeout)
            for (int stream = 0; stream < subscribers; stream++) {
                for (int e = 1; e <= lastSequence; e++) {
                    if (deliveredAt[stream][e] != 0) {
                        delays[count++] = deliveredAt[stream][e] - publishedAt[stream % jobs.size()][e];
                    }
                }
            }
        }
        delays = Arrays.copyOf(delays, count);
        Arrays.sort(delays);
        long expected = (long) subscribers * lastSequence;
        System.out.printf("%-50s %d subscribers on %d jobs, %d events each: delivered %d of %d; "
                        + "delay p50 %.2f ms   p99 %.2f ms   max %.2f ms; all streams closed after the terminal event: %s%n",
                label, subscribers, jobs.size(), lastSequence,
                count, expected, percentile(delays, 50) / 1e6, percentile(delays, 99) / 1e6,
                delays.length == 0 ? 0 : delays[delays.length - 1] / 1e6, allFinished);
        System.out.printf("  mean age of an event when the gateway's live consumer gets it: %.2f ms%n",
                meanMillis(ageBefore, ageAfter));
        // Is the tail spread over all rounds (steady cost) or in a few rounds (pauses: GC, JIT, another process)?
        long[] worstPerRound = new long[lastSequence + 1];
        for (int stream = 0; stream < subscribers; stream++) {
            for (int e = 1; e <= lastSequence; e++) {
                if (deliveredAt[stream][e] != 0) {
                    long delay = deliveredAt[stream][e] - publishedAt[stream % jobs.size()][e];
                    worstPerRound[e] = Math.max(worstPerRound[e], delay);
                }
            }
        }
        long slowRounds = Arrays.stream(worstPerRound, 1, lastSequence + 1).filter(d -> d > 100_000_000L).count();
        long[] sortedWorst = Arrays.stream(worstPerRound, 1, lastSequence + 1).sorted().toArray();
        System.out.printf("  rounds whose slowest delivery took over 100 ms: %d of %d; median round's slowest: %.2f ms%n",
                slowRounds, lastSequence, sortedWorst[sortedWorst.length / 2] / 1e6);
    }

    /**
     * Reads one SSE response as it arrives on the client's single event loop (no thread per stream: with a thousand
     * streams, waking a thread per event cost the shared CPU more than the gateway's writes). Handles the status
     * line, headers and chunked framing by hand, and records when each event (by its id = sequence) was complete.
     */
    static final class SseStreamParser {
        private enum Phase { HEADERS, CHUNK_SIZE, CHUNK_DATA, CHUNK_END, PLAIN, DONE }

        private final long[] deliveredAt;
        private final CountDownLatch connected;
        private final AtomicInteger broken;
        private final Runnable onEnd;
        private boolean ended;
        private final StringBuilder line = new StringBuilder();
        private Phase phase = Phase.HEADERS;
        private boolean statusSeen;
        private boolean chunked;
        private int chunkLeft;
        private long eventId = -1;
        private boolean first = true;

        /** @param onEnd run once, when the response has ended (last chunk) or the connection closed */
        SseStreamParser(long[] deliveredAt, CountDownLatch connected, AtomicInteger broken, Runnable onEnd) {
            this.deliveredAt = deliveredAt;
            this.connected = connected;
            this.broken = broken;
            this.onEnd = onEnd;
        }

        void feed(io.vertx.core.buffer.Buffer buffer) {
            for (int i = 0; i < buffer.length() && phase != Phase.DONE; i++) {
                byte b = buffer.getByte(i);
                switch (phase) {
                    case HEADERS -> headerByte(b);
                    case CHUNK_SIZE -> {
                        if (b == '\n') {
                            String size = line.toString().trim();
                            line.setLength(0);
                            int semicolon = size.indexOf(';');
                            chunkLeft = Integer.parseInt(semicolon >= 0 ? size.substring(0, semicolon) : size, 16);
                            phase = chunkLeft == 0 ? Phase.DONE : Phase.CHUNK_DATA;
                            if (phase == Phase.DONE) {
                                end();
                            }
                        } else if (b != '\r') {
                            line.append((char) b);
                        }
                    }
                    case CHUNK_DATA -> {
                        bodyByte(b);
                        if (--chunkLeft == 0) {
                            phase = Phase.CHUNK_END;
                        }
                    }
                    case CHUNK_END -> {
                        if (b == '\n') {
                            phase = Phase.CHUNK_SIZE;
                        }
                    }
                    case PLAIN -> bodyByte(b);
                    default -> { }
                }
            }
        }

        private void headerByte(byte b) {
            if (b != '\n') {
                if (b != '\r') {
                    line.append((char) b);
                }
                return;
            }
            String header = line.toString();
            line.setLength(0);
            if (!statusSeen) {
                statusSeen = true;
                if (!header.contains(" 200")) {
                    phase = Phase.DONE;
                    closed();
                }
            } else if (header.isEmpty()) {
                phase = chunked ? Phase.CHUNK_SIZE : Phase.PLAIN;
            } else if (header.toLowerCase(java.util.Locale.ROOT).startsWith("transfer-encoding:")
                    && header.toLowerCase(java.util.Locale.ROOT).contains("chunked")) {
                chunked = true;
            }
        }

        /** One byte of the event stream itself. */
        private void bodyByte(byte b) {
            if (b == '\r') {
                return;
            }
            if (b != '\n') {
                line.append((char) b);
                return;
            }
            if (line.length() > 3 && line.charAt(0) == 'i' && line.charAt(1) == 'd' && line.charAt(2) == ':') {
                eventId = Long.parseLong(line.substring(3).trim());
            } else if (line.isEmpty() && eventId >= 0) {
                long now = System.nanoTime();
                if (first) {
                    first = false;
                    connected.countDown();
                } else if (eventId < deliveredAt.length) {
                    deliveredAt[(int) eventId] = now;
                }
                eventId = -1;
            }
            line.setLength(0);
        }

        /** The connection closed (or the response was refused): a stream that never got its first event is broken. */
        void closed() {
            if (first) {
                first = false;
                broken.incrementAndGet();
                connected.countDown();
            }
            end();
        }

        private void end() {
            if (!ended) {
                ended = true;
                onEnd.run();
            }
        }
    }
}
