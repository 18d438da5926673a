package io.texttoimage.e2e.fuzz;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.texttoimage.e2e.fuzz.Credentials.Kind;
import io.texttoimage.e2e.fuzz.HttpTransport.Answer;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.function.Consumer;

/**
 * One fuzz run against a running gateway: prepares the credentials and the sentinel jobs, sends the generated
 * requests ({@code concurrency} at a time), checks each answer with the {@link Oracle}, watches the gateway's
 * readiness and RSS, and finally checks that no sentinel changed.
 */
final class FuzzRun {
    /** What to run: -Dt2i.fuzz.seed, -Dt2i.fuzz.requests, -Dt2i.fuzz.concurrency, -Dt2i.fuzz.max-shown. */
    record Settings(long seed, int requests, int concurrency, int maxShown) {
        /** {@code defaultSeed}: the seed unless -Dt2i.fuzz.seed names one; empty: a new one each run. */
        static Settings fromSystemProperties(int defaultRequests, OptionalLong defaultSeed) {
            String seed = System.getProperty("t2i.fuzz.seed", "");
            return new Settings(seed.isBlank()
                    ? defaultSeed.orElseGet(() -> System.nanoTime() ^ System.currentTimeMillis()) : Long.parseLong(seed),
                    Integer.getInteger("t2i.fuzz.requests", defaultRequests),
                    Integer.getInteger("t2i.fuzz.concurrency", 4), Integer.getInteger("t2i.fuzz.max-shown", 40));
        }
    }

    /** The outcome: {@link #passed} when every criterion held. */
    record Result(boolean passed, String text, List<String> failedCriteria) {
    }

    static final int SAMPLE_EVERY = 250;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int SENTINELS_PER_OWNER = 2;

    private final Settings settings;
    private final URI gateway;
    private final URI management;
    private final long pid;
    private final Consumer<String> say;

    FuzzRun(Settings settings, URI gateway, URI management, long pid, Consumer<String> say) {
        this.settings = settings;
        this.gateway = gateway;
        this.management = management;
        this.pid = pid;
        this.say = say;
    }

    Result run(String adminKey, String machine) throws Exception {
        say.accept("fuzz: seed " + settings.seed() + " (rerun with -Dt2i.fuzz.seed=" + settings.seed() + " or bin/fuzz"
                + " --seed " + settings.seed() + "), " + settings.requests() + " requests, " + settings.concurrency()
                + " at a time");
        HttpTransport transport = new HttpTransport(gateway);
        Credentials credentials = Credentials.prepare(transport.client(), gateway, adminKey, settings.seed(), say);
        if (credentials.skipReason != null) {
            say.accept("fuzz: cross-owner checks skipped: " + credentials.skipReason);
        }
        Ledger ledger = new Ledger();
        FuzzReport report = new FuzzReport(gateway, settings.maxShown());
        createSentinels(transport, credentials, ledger);
        GatewayWatch watch = new GatewayWatch(transport.client(), management, pid);
        watch.sample(0);
        RequestGenerator generator = new RequestGenerator(settings.seed(), credentials, ledger);
        Oracle oracle = new Oracle(credentials, ledger);
        long start = System.nanoTime();
        fire(transport, generator, oracle, ledger, credentials, report, watch);
        long millis = (System.nanoTime() - start) / 1_000_000;
        watch.sample(settings.requests());
        checkSentinels(transport, credentials, ledger, report);
        cancelLeftovers(transport, credentials, ledger);
        if (credentials.ownersDistinct()) {
            report.note(oracle.crossOwnerRequests.get() + " requests of one owner named another owner's job ("
                    + oracle.sentinelCancels.get() + " of them DELETEs of a sentinel job); " + ledger.size()
                    + " jobs in the ledger");
        }
        report.note(transport.staleConnectionRetries.get() + " requests were sent again on a new connection: their"
                + " pooled keep-alive connection had been closed by the gateway before any answer (RFC 9112 9.3.1)");
        List<String> failed = criteria(report, watch);
        String text = report.text(settings.seed(), watch, credentials, millis, machine)
                + (failed.isEmpty() ? "PASSED: every criterion held\n" : "FAILED: " + String.join("; ", failed) + "\n");
        return new Result(failed.isEmpty(), text, failed);
    }

    private void fire(HttpTransport transport, RequestGenerator generator, Oracle oracle, Ledger ledger,
                      Credentials credentials, FuzzReport report, GatewayWatch watch) throws InterruptedException {
        Semaphore slots = new Semaphore(settings.concurrency());
        int warmAt = Math.max(1, settings.requests() * GatewayWatch.WARM_UP_FRACTION_PERCENT / 100);
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < settings.requests(); i++) {
                if (i > 0 && i % SAMPLE_EVERY == 0 || i == warmAt) {
                    GatewayWatch.Sample sample = watch.sample(i);
                    if (i == warmAt) {
                        watch.markWarm(sample);
                    }
                    if (sample.readyStatus() != 200) {
                        say.accept("fuzz: the gateway is not ready after " + i + " requests: " + sample.readyStatus());
                    }
                }
                if (i > 0 && i % 1000 == 0) {
                    say.accept("fuzz: " + i + " requests sent, " + report.violations() + " violations so far");
                }
                FuzzRequest request = generator.next(i);
                slots.acquire();
                pool.submit(() -> {
                    try {
                        Answer answer = transport.send(request);
                        remember(request, answer, ledger, credentials);
                        report.add(request, answer, oracle.check(request, answer));
                    } finally {
                        slots.release();
                    }
                });
            }
        }
    }

    /** A job the fuzzer created goes into the ledger, with the owner its credential stands for. */
    private static void remember(FuzzRequest request, Answer answer, Ledger ledger, Credentials credentials) {
        if (!"POST".equals(request.method()) || answer.status() != 201
                || !RequestGenerator.IMAGES.equals(request.target())) {
            return;
        }
        try {
            JsonNode record = JSON.readTree(answer.body());
            String id = record.path("id").asText("");
            if (!id.isEmpty()) {
                Kind owner = credentials.ownersDistinct() ? request.credential() : Kind.NONE;
                ledger.record(id, owner, Ledger.marker(request.index()));
            }
        } catch (Exception e) {
            // not JSON: the oracle reports it
        }
    }

    /** Jobs of each owner that only another caller will ever try to cancel: at the end they must be unchanged. */
    private void createSentinels(HttpTransport transport, Credentials credentials, Ledger ledger) throws Exception {
        if (!credentials.ownersDistinct()) {
            return;
        }
        SplittableRandom random = new SplittableRandom(settings.seed());
        for (Kind owner : new Kind[] {Kind.OWNER_A, Kind.OWNER_B}) {
            for (int i = 0; i < SENTINELS_PER_OWNER; i++) {
                int index = -1 - ledger.size();
                String marker = Ledger.marker(index);
                Map<String, String> fields = Bodies.validFields(random, marker);
                fields.put("queue_timeout", "3600");
                Answer answer = transport.send(RequestGenerator.http(index, "sentinel", "POST",
                        RequestGenerator.IMAGES, List.of(new FuzzRequest.Header("Authorization",
                                credentials.authorization(owner, random).orElseThrow()),
                                new FuzzRequest.Header("Content-Type", "application/json")), Bodies.object(fields),
                        FuzzRequest.Expect.JSON, owner, null));
                if (answer.status() != 201) {
                    throw new IllegalStateException("creating a sentinel job of " + owner + " answered "
                            + answer.status() + ": " + answer.text());
                }
                JsonNode record = JSON.readTree(answer.body());
                ledger.recordSentinel(record.path("id").asText(), owner, marker, record);
            }
        }
        say.accept("fuzz: " + 2 * SENTINELS_PER_OWNER + " sentinel jobs created (" + SENTINELS_PER_OWNER
                + " per owner)");
    }

    /** No one but its owner (who never does) may have cancelled a sentinel or changed what it asked for. */
    private void checkSentinels(HttpTransport transport, Credentials credentials, Ledger ledger, FuzzReport report)
            throws Exception {
        for (Map.Entry<String, JsonNode> sentinel : ledger.sentinelsBefore().entrySet()) {
            Kind owner = ledger.ownerOf(sentinel.getKey()).orElseThrow();
            FuzzRequest read = readAs(sentinel.getKey(), owner, credentials);
            Answer answer = transport.send(read);
            String problem = null;
            if (answer.status() != 200) {
                problem = "its owner reads it with " + answer.status() + ": " + Oracle.snippet(answer);
            } else {
                JsonNode after = JSON.readTree(answer.body());
                JsonNode before = sentinel.getValue();
                if ("cancelled".equals(after.path("status").asText())) {
                    problem = "it was cancelled, by someone other than its owner";
                }
                for (String field : List.of("prompt", "owner", "num_steps", "width", "height", "seed", "created_at")) {
                    if (!before.path(field).equals(after.path(field))) {
                        problem = field + " changed from " + before.path(field) + " to " + after.path(field);
                    }
                }
            }
            if (problem != null) {
                report.addViolation(new FuzzReport.Recorded(read, answer, new Oracle.Violation("sentinel changed",
                        owner + "'s sentinel job " + sentinel.getKey() + ": " + problem)));
            }
        }
    }

    private static FuzzRequest readAs(String id, Kind owner, Credentials credentials) {
        List<FuzzRequest.Header> headers = new ArrayList<>();
        credentials.authorization(owner, new SplittableRandom(0)).ifPresent(value -> headers.add(
                new FuzzRequest.Header("Authorization", value)));
        return RequestGenerator.http(-1, "sentinel check", "GET", RequestGenerator.IMAGES + "/" + id, headers, null,
                FuzzRequest.Expect.JSON, owner, id);
    }

    /** Cancels what is still queued, so the generator does not go on working for a finished run (not counted). */
    private static void cancelLeftovers(HttpTransport transport, Credentials credentials, Ledger ledger) {
        SplittableRandom random = new SplittableRandom(0);
        for (Ledger.Entry entry : ledger.entries()) {
            List<FuzzRequest.Header> headers = new ArrayList<>();
            credentials.authorization(entry.owner() == Kind.NONE ? Kind.OWNER_A : entry.owner(), random)
                    .ifPresent(value -> headers.add(new FuzzRequest.Header("Authorization", value)));
            transport.send(RequestGenerator.http(-1, "cleanup", "DELETE", RequestGenerator.IMAGES + "/" + entry.id(),
                    headers, null, FuzzRequest.Expect.JSON, entry.owner(), entry.id()));
        }
    }

    private static List<String> criteria(FuzzReport report, GatewayWatch watch) {
        List<String> failed = new ArrayList<>();
        if (report.fiveHundreds() > 0) {
            failed.add(report.fiveHundreds() + " answers were 5xx");
        }
        int answers = report.violations() - report.violations("5xx") - report.violations("cross-owner leak")
                - report.violations("sentinel changed");
        if (answers > 0) {
            failed.add(answers + " answers broke the problem+json/body/auth rules");
        }
        int leaks = report.violations("cross-owner leak") + report.violations("sentinel changed");
        if (leaks > 0) {
            failed.add(leaks + " cross-owner leaks");
        }
        if (watch.notReadyCount() > 0) {
            failed.add("the gateway was not ready in " + watch.notReadyCount() + " samples");
        }
        if (!watch.rssBounded()) {
            failed.add("the gateway's RSS is not bounded: " + watch.last().rssKb() / 1024 + " MB at the end, bound "
                    + watch.boundKb() / 1024 + " MB");
        }
        return failed;
    }
}
