package io.texttoimage.gateway;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.texttoimage.gateway.api.problem.LatePoolTimeouts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Collectors;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A database outage under load (more requests at once than the pool has connections, so that some wait for one)
 * leaves a few log lines, not a flood: the gateway's log is read for the whole outage and the pool's wait timeout
 * after it (vertx-sql-client's timers for the requests refused meanwhile fire 30 s later), every request during it
 * got its 503 problem+json with Retry-After (none hangs), readiness went DOWN and UP again, and submissions work
 * afterwards without a restart.
 * <p>
 * The database goes away by the relay's cut (connections reset, new ones refused), or, where
 * {@code -Dt2i.test.pg-ctl-data} names the data folder of the PostgreSQL behind it ({@code -Dt2i.test.pg-host}: a
 * cluster of the tester's own, never the machine's shared one), by a real {@code pg_ctl stop -m fast} and
 * {@code start}, as the chaos suite does ({@code -Dt2i.test.pg-ctl}: the binary, Debian's PostgreSQL 15 by default).
 */
@QuarkusTest
@WithTestResource(DatabaseOutageTestResources.class)
class DatabaseOutageLogTest {
    @TestHTTPResource("/")
    URL api;
    @TestHTTPResource(value = "/", management = true)
    URL management;

    private static final Duration RECOVERY = Duration.ofSeconds(30);
    /** vertx-sql-client's PoolOptions.DEFAULT_CONNECTION_TIMEOUT (Quarkus has no setting for it), and a margin. */
    private static final Duration POOL_WAIT_TIMEOUT_AND_MARGIN = Duration.ofSeconds(33);
    /** Twice the pool's 20 connections, so that requests queue for one when the connections are cut. */
    private static final int CONCURRENT_REQUESTS = 40;
    private static final Duration OUTAGE = Duration.ofSeconds(3);

    private final LogCapture log = new LogCapture();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeEach
    void captureTheLog() {
        Logger.getLogger("").addHandler(log);
    }

    @AfterEach
    void stopCapturing() {
        Logger.getLogger("").removeHandler(log);
    }

    @Test
    void anOutageUnderLoadIsLoggedOnceWhenItStartsAndOnceWhenItEnds() throws Exception {
        String before = submit("before the outage").join().body();
        String id = before.replaceAll(".*\"id\"\\s*:\\s*\"([^\"]+)\".*", "$1");
        Load load = new Load(id);
        load.run(Duration.ofSeconds(1)); // warm: every connection of the pool open and in use
        assertTrue(load.statuses().keySet().stream().allMatch(status -> status == 200 || status == 201),
                "before the outage: " + load.statuses());

        Load duringOutage = new Load(id);
        takeTheDatabaseAway();
        boolean readinessWentDown;
        try {
            duringOutage.run(OUTAGE);
            readinessWentDown = readiness() == 503;
        } finally {
            giveTheDatabaseBack();
        }
        assertTrue(readinessWentDown, "readiness DOWN during the outage");
        assertTrue(duringOutage.statuses().containsKey(503), "requests during the outage: " + duringOutage.statuses());
        assertTrue(duringOutage.statuses().keySet().stream().allMatch(status -> status == 503 || status < 300),
                "only 503 (or served before the cut took effect): " + duringOutage.statuses());
        assertEquals(List.of(), duringOutage.badRefusals(), "every 503 is problem+json with Retry-After");

        Eventually.await(RECOVERY, "readiness UP again", () -> readiness() == 200);
        Eventually.await(RECOVERY, "submissions accepted again",
                () -> submit("after the outage").join().statusCode() == 201);
        // the pool's timers of the refused queries fire, then the late timeouts' line comes once they are over
        Thread.sleep(POOL_WAIT_TIMEOUT_AND_MARGIN.plus(LatePoolTimeouts.QUIET).toMillis());
        given().contentType(ContentType.JSON).body("{\"prompt\":\"long after the outage\"}")
                .post("/generated-images").then().statusCode(201);

        List<LogRecord> lines = log.records();
        String shown = lines.stream().map(LogCapture::format).collect(Collectors.joining("\n"));
        System.out.println("Log during and after the outage (" + lines.size() + " lines, "
                + duringOutage.total() + " requests during it: " + duringOutage.statuses() + "):\n" + shown);
        // Each readiness probe that finds PostgreSQL down logs a line or two of its own (Quarkus's check: a WARN with
        // the refusal's stack trace; SmallRye Health: the DOWN report): per probe, not per request, and not ours.
        // Vert.x's blocked-thread warning is about a busy test machine, not about the outage.
        List<LogRecord> ours = lines.stream().filter(line -> !isReadinessProbe(line))
                .filter(line -> !line.getLoggerName().equals("io.vertx.core.impl.BlockedThreadChecker")).toList();
        assertTrue(ours.stream().noneMatch(line -> line.getThrown() != null), "no stack traces:\n" + shown);
        List<LogRecord> lateTimeouts = ours.stream()
                .filter(line -> line.getLoggerName().equals(LatePoolTimeouts.class.getName())).toList();
        assertEquals(1, lateTimeouts.size(), "one line counts the pool's late timeouts:\n" + shown);
        assertTrue(LogCapture.format(lateTimeouts.getFirst()).matches(".*ignored [1-9]\\d* late connection timeout.*"),
                shown);
        // the periodic passes (outbox, deadlines, webhooks): one line when they start failing, one when they work
        // again; Flyway's JDBC pool: one per idle connection found broken (2 at most)
        assertTrue(ours.size() <= 10, "a handful of lines, not one per request:\n" + shown);
    }

    private static boolean isReadinessProbe(LogRecord line) {
        return line.getLoggerName().startsWith("io.smallrye.health")
                || line.getLoggerName().equals("io.quarkus.reactive.datasource.runtime.ReactiveDatasourceHealthCheck");
    }

    private static final String PG_CTL_DATA = System.getProperty("t2i.test.pg-ctl-data");
    private static final String PG_CTL = System.getProperty("t2i.test.pg-ctl", "/usr/lib/postgresql/15/bin/pg_ctl");

    private static void takeTheDatabaseAway() throws Exception {
        if (PG_CTL_DATA == null) {
            DatabaseOutageTestResources.database.cut();
        } else {
            pgCtl("stop", "-m", "fast", "-w");
        }
    }

    private static void giveTheDatabaseBack() throws Exception {
        if (PG_CTL_DATA == null) {
            DatabaseOutageTestResources.database.restore();
        } else {
            pgCtl("start", "-w", "-l", PG_CTL_DATA + "/../server.log");
        }
    }

    /** As the postgres user (PostgreSQL refuses root). */
    private static void pgCtl(String... arguments) throws Exception {
        List<String> command = new ArrayList<>(System.getProperty("user.name").equals("root")
                ? List.of("runuser", "-u", "postgres", "--") : List.of());
        command.addAll(List.of(PG_CTL, "-D", PG_CTL_DATA));
        command.addAll(List.of(arguments));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertEquals(0, process.waitFor(), String.join(" ", command) + ": " + output);
    }

    private int readiness() {
        return given().port(management.getPort()).get("/q/health/ready").statusCode();
    }

    private CompletableFuture<HttpResponse<String>> submit(String prompt) {
        return http.sendAsync(HttpRequest.newBuilder(URI.create(api + "generated-images"))
                .header("Content-Type", "application/json").timeout(Duration.ofSeconds(20))
                .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"" + prompt + "\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private CompletableFuture<HttpResponse<String>> read(String id) {
        return http.sendAsync(HttpRequest.newBuilder(URI.create(api + "generated-images/" + id))
                .timeout(Duration.ofSeconds(20)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Submissions and reads, {@link #CONCURRENT_REQUESTS} at a time, for a while; each must be answered. */
    private final class Load {
        private final String id;
        private final Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
        private final ConcurrentLinkedQueue<String> badRefusals = new ConcurrentLinkedQueue<>();
        private final AtomicInteger total = new AtomicInteger();

        Load(String id) {
            this.id = id;
        }

        void run(Duration howLong) throws Exception {
            Semaphore slots = new Semaphore(CONCURRENT_REQUESTS);
            long end = System.nanoTime() + howLong.toNanos();
            List<CompletableFuture<?>> sent = new ArrayList<>();
            for (int i = 0; System.nanoTime() < end; i++) {
                slots.acquire();
                CompletableFuture<HttpResponse<String>> request = i % 2 == 0 ? submit("load " + i) : read(id);
                sent.add(request.whenComplete((response, failure) -> {
                    slots.release();
                    total.incrementAndGet();
                    int status = failure == null ? response.statusCode() : -1; // -1: no answer in 20 s
                    statuses.computeIfAbsent(status, s -> new AtomicInteger()).incrementAndGet();
                    if (status == 503 && !(response.headers().firstValue("Retry-After").isPresent()
                            && response.headers().firstValue("Content-Type").orElse("")
                            .startsWith("application/problem+json"))) {
                        badRefusals.add(response.headers().map() + " " + response.body());
                    }
                }));
            }
            CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).exceptionally(failure -> null)
                    .get(30, TimeUnit.SECONDS);
        }

        Map<Integer, Integer> statuses() {
            return statuses.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().get()));
        }

        List<String> badRefusals() {
            return List.copyOf(badRefusals);
        }

        int total() {
            return total.get();
        }
    }

    /** The gateway's log lines at INFO and above while the test runs (JBoss LogManager is JUL's manager here). */
    private static final class LogCapture extends Handler {
        private final ConcurrentLinkedQueue<LogRecord> records = new ConcurrentLinkedQueue<>();

        @Override
        public void publish(LogRecord record) {
            if (record.getLevel().intValue() >= Level.INFO.intValue()) {
                records.add(record);
            }
        }

        List<LogRecord> records() {
            return List.copyOf(records);
        }

        static String format(LogRecord record) {
            String message = record instanceof org.jboss.logmanager.ExtLogRecord ext ? ext.getFormattedMessage()
                    : record.getMessage();
            return record.getLevel() + " [" + record.getLoggerName() + "] " + message
                    + (record.getThrown() != null ? " <" + record.getThrown() + " at "
                    + (record.getThrown().getStackTrace().length > 0 ? record.getThrown().getStackTrace()[0] : "?")
                    + ">" : "");
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }
}
