package io.texttoimage.e2e.bench;

import io.texttoimage.e2e.TestStacks;
import com.fasterxml.jackson.databind.JsonNode;

import io.texttoimage.localstack.client.GatewayClient;
import io.texttoimage.localstack.service.ServiceKind;
import io.texttoimage.localstack.service.ServiceProcess;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Benchmark (not a test) of issue 12's estimates: how wrong the gateway's predicted finish time is.
 *
 * <p>Starts the system as the end-to-end tests do (see {@code io.texttoimage.e2e.E2eStack}; the machine's
 * PostgreSQL and RabbitMQ, an embedded S3Proxy, its own database and messaging prefix, the tiny model): one storage
 * adapter, two generators, one gateway. A warm-up runs jobs of the measured size until both workers announce a step
 * time for it (their heartbeats). Then it submits all jobs at once (one POST after the other, as fast as the gateway
 * answers) and compares, per job, the {@code estimate.finish_at} of the POST's answer ("at submission") and of the
 * job's {@code running} SSE event ("at start"; missing when the stream opened after the job had started) with the
 * record's {@code finished_at} once it succeeded. Absolute error in seconds; relative error: the absolute error over
 * the actual time from submission (or from the start) to the finish.
 *
 * <p>Run it with {@code bin/benchmark-eta}; every process it started is stopped on exit, failure, SIGTERM and Ctrl-C,
 * the database is dropped and the run's queues and exchanges deleted.
 */
public final class EtaBenchmark {
    private static final Duration RUN_TIMEOUT = Duration.ofMinutes(20);
    private static final Set<String> TERMINAL = Set.of("succeeded", "failed", "cancelled");

    private record Settings(int jobs, int warmup, int steps, int size, String scheduler, List<String> jvmOptions) {
    }

    /** One job: when it was submitted and what was predicted, and when it really started and finished. */
    private record Sample(String id, Instant submittedAt, Instant predictedAtSubmit, Instant predictedAtStart,
                          Instant startedAt, Instant finishedAt, int position) {
    }

    private EtaBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Settings settings = parse(args);
        say("machine: " + TestStacks.machine() + "; load average " + TestStacks.loadAverage());
        BenchStack.runAndExit("eta",
                Map.of(ServiceKind.GATEWAY, Map.of("quarkus.rest-client.storage-adapter.read-timeout", "30000"),
                        ServiceKind.GENERATOR, Map.of("t2i.generator.heartbeat-interval", "PT1S")),
                settings.jvmOptions(), EtaBenchmark::say, stack -> {
                    List<ServiceProcess> started = new ArrayList<>();
                    started.add(stack.startService(ServiceKind.STORAGE_ADAPTER, "storage-adapter"));
                    started.add(stack.startService(ServiceKind.GENERATOR, "generator-a"));
                    started.add(stack.startService(ServiceKind.GENERATOR, "generator-b"));
                    started.add(stack.startService(ServiceKind.GATEWAY, "gateway"));
                    stack.awaitReady(started);
                    GatewayClient gateway = stack.gatewayClient();
                    warmUp(gateway, settings);
                    String loadBefore = TestStacks.loadAverage();
                    List<Sample> samples = measure(gateway, settings);
                    report(settings, samples, loadBefore, TestStacks.loadAverage());
                });
    }

    private static Map<String, Object> request(Settings settings, String prompt) {
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("prompt", prompt);
        request.put("num_steps", settings.steps());
        request.put("width", settings.size());
        request.put("height", settings.size());
        request.put("scheduler", settings.scheduler());
        return request;
    }

    /** Runs jobs two at a time until both workers have measured the size (and the JIT has seen the paths). */
    private static void warmUp(GatewayClient gateway, Settings settings) throws Exception {
        String size = settings.size() + "x" + settings.size();
        for (int round = 0; round < settings.warmup() / 2 || measuredBy(gateway, size) < 2; round++) {
            if (round > settings.warmup() + 20) {
                throw new IllegalStateException("the workers announce no step time for " + size + ": "
                        + workers(gateway));
            }
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                ids.add(gateway.submit(request(settings, "warm-up " + round + "." + i)).get("id").asText());
            }
            for (String id : ids) {
                awaitEnd(gateway, id);
            }
        }
        Thread.sleep(2_500); // a heartbeat with the last warm-up job's step times (1 s interval) has been heard
        say("warmed up; workers: " + workers(gateway));
    }

    private static int measuredBy(GatewayClient gateway, String size) throws Exception {
        int measured = 0;
        for (JsonNode worker : workers(gateway).path("workers")) {
            measured += worker.path("step_seconds").has(size) ? 1 : 0;
        }
        return measured;
    }

    private static JsonNode workers(GatewayClient gateway) throws Exception {
        return GatewayClient.json(gateway.getText("/workers").body());
    }

    private static JsonNode awaitEnd(GatewayClient gateway, String id) throws Exception {
        long deadline = System.nanoTime() + RUN_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode record = gateway.get(id);
            if (TERMINAL.contains(record.path("status").asText())) {
                if (!"succeeded".equals(record.path("status").asText())) {
                    throw new IllegalStateException("job " + id + " ended " + record);
                }
                return record;
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("job " + id + " did not end within " + RUN_TIMEOUT);
    }

    private static List<Sample> measure(GatewayClient gateway, Settings settings) throws Exception {
        List<JsonNode> submitted = new ArrayList<>();
        List<Instant> submittedAt = new ArrayList<>();
        List<CompletableFuture<Instant>> atStart = new ArrayList<>();
        for (int i = 0; i < settings.jobs(); i++) {
            submittedAt.add(Instant.now());
            JsonNode record = gateway.submit(request(settings, "eta job " + i));
            submitted.add(record);
            String id = record.get("id").asText();
            atStart.add(CompletableFuture.supplyAsync(() -> predictedAtStart(gateway, id),
                    command -> Thread.ofVirtual().start(command)));
        }
        say("submitted " + settings.jobs() + " jobs in "
                + Duration.between(submittedAt.getFirst(), Instant.now()).toMillis() + " ms");
        List<Sample> samples = new ArrayList<>();
        for (int i = 0; i < submitted.size(); i++) {
            JsonNode record = submitted.get(i);
            String id = record.get("id").asText();
            JsonNode finished = awaitEnd(gateway, id);
            Instant predicted = instant(record.path("estimate").path("finish_at"));
            Instant startPrediction = atStart.get(i).get(RUN_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            samples.add(new Sample(id, submittedAt.get(i), predicted, startPrediction,
                    instant(finished.path("started_at")), instant(finished.path("finished_at")),
                    record.path("queue").path("position").asInt(-1)));
        }
        return samples;
    }

    /** The finish predicted by the job's live {@code running} event; null if the stream opened after it. */
    private static Instant predictedAtStart(GatewayClient gateway, String id) {
        Instant[] predicted = {null};
        try {
            gateway.follow(id, null, event -> {
                if ("running".equals(event.event())) {
                    JsonNode estimate = GatewayClient.json(event.data()).path("estimate");
                    predicted[0] = instant(estimate.path("finish_at"));
                    return false;
                }
                return !TERMINAL.contains(event.event()) && !"progress".equals(event.event());
            });
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
        return predicted[0];
    }

    private static Instant instant(JsonNode node) {
        return node == null || node.isNull() || node.isMissingNode() ? null : Instant.parse(node.asText());
    }

    private static void report(Settings settings, List<Sample> samples, String loadBefore, String loadAfter) {
        System.out.println();
        System.out.printf("ETA benchmark: %d jobs submitted at once, 2 generators, tiny model, %dx%d, %d steps, %s%n",
                samples.size(), settings.size(), settings.size(), settings.steps(), settings.scheduler());
        Instant first = samples.getFirst().submittedAt();
        Instant last = samples.stream().map(Sample::finishedAt).max(Instant::compareTo).orElse(first);
        System.out.printf("all finished %.1f s after the first submission; job run time p50 %.2f s%n",
                seconds(first, last), percentile(samples.stream().mapToDouble(s -> seconds(s.startedAt(),
                        s.finishedAt())).sorted().toArray(), 50));
        System.out.printf("%-38s %8s %8s %8s %8s%n", "predicted finish vs actual", "n", "p50", "p90", "max");
        List<double[]> atSubmit = errors(samples, true);
        List<double[]> atStart = errors(samples, false);
        row("at submission, absolute (s)", atSubmit.get(0));
        row("at submission, relative (%)", atSubmit.get(1));
        row("at submission, signed p50 (s, + = late)", atSubmit.get(2));
        row("at start, absolute (s)", atStart.get(0));
        row("at start, relative (%)", atStart.get(1));
        row("at start, signed p50 (s, + = late)", atStart.get(2));
        System.out.println("load average before: " + loadBefore + "   after: " + loadAfter);
        System.out.println("machine: " + TestStacks.machine());
    }

    /** Absolute (s), relative (%) and signed (s; positive: the job finished later than predicted) errors. */
    private static List<double[]> errors(List<Sample> samples, boolean atSubmission) {
        List<Double> absolute = new ArrayList<>();
        List<Double> relative = new ArrayList<>();
        List<Double> signed = new ArrayList<>();
        for (Sample sample : samples) {
            Instant predicted = atSubmission ? sample.predictedAtSubmit() : sample.predictedAtStart();
            Instant from = atSubmission ? sample.submittedAt() : sample.startedAt();
            if (predicted == null || sample.finishedAt() == null || from == null) {
                continue;
            }
            double error = seconds(predicted, sample.finishedAt());
            signed.add(error);
            absolute.add(Math.abs(error));
            relative.add(100 * Math.abs(error) / Math.max(0.001, seconds(from, sample.finishedAt())));
        }
        return List.of(sorted(absolute), sorted(relative), sorted(signed));
    }

    private static double[] sorted(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    }

    private static void row(String name, double[] sorted) {
        if (sorted.length == 0) {
            System.out.printf("%-38s %8d %8s%n", name, 0, "n/a");
            return;
        }
        if (name.contains("signed")) {
            System.out.printf("%-38s %8d %8.2f %8s %8s  (min %.2f, max %.2f)%n", name, sorted.length,
                    percentile(sorted, 50), "", "", sorted[0], sorted[sorted.length - 1]);
            return;
        }
        System.out.printf("%-38s %8d %8.2f %8.2f %8.2f%n", name, sorted.length, percentile(sorted, 50),
                percentile(sorted, 90), sorted[sorted.length - 1]);
    }

    /** Nearest-rank percentile of sorted values. */
    private static double percentile(double[] sorted, int p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    private static double seconds(Instant from, Instant to) {
        return Duration.between(from, to).toNanos() / 1e9;
    }

    private static void say(String line) {
        System.out.println("[benchmark-eta] " + line);
    }

    private static Settings parse(String[] args) {
        int jobs = 50;
        int warmup = 6;
        int steps = 20;
        int size = 128;
        String scheduler = "euler";
        String jvmOptions = System.getenv().getOrDefault("BENCH_SERVICE_JAVA_OPTS", BenchStack.E2E_SERVICE_JVM_OPTIONS);
        for (int i = 0; i < args.length; i++) {
            String name = args[i];
            if ("--help".equals(name) || "-h".equals(name)) {
                System.out.println("""
                        bin/benchmark-eta [--jobs 50] [--warmup 6] [--steps 20] [--size 128] [--scheduler euler]
                                          [--service-jvm-options "..."]
                        Starts the stack with two generators (tiny model), submits the jobs at once and prints the
                        error of the predicted finish time (at submission and at start) against the actual one.""");
                System.exit(0);
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(name + " needs a value (see --help)");
            }
            String value = args[++i];
            switch (name) {
                case "--jobs" -> jobs = Integer.parseInt(value);
                case "--warmup" -> warmup = Integer.parseInt(value);
                case "--steps" -> steps = Integer.parseInt(value);
                case "--size" -> size = Integer.parseInt(value);
                case "--scheduler" -> scheduler = value;
                case "--service-jvm-options" -> jvmOptions = value;
                default -> throw new IllegalArgumentException("unknown option " + name + " (see --help)");
            }
        }
        List<String> jvm = jvmOptions.isBlank() ? List.of() : List.of(jvmOptions.trim().split("\\s+"));
        return new Settings(jobs, warmup, steps, size, scheduler, jvm);
    }
}
