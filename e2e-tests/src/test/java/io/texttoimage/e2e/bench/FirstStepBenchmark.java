package io.texttoimage.e2e.bench;

import io.texttoimage.e2e.TestStacks;
import com.fasterxml.jackson.databind.JsonNode;

import io.texttoimage.localstack.client.GatewayClient;
import io.texttoimage.localstack.service.ServiceKind;
import io.texttoimage.localstack.service.ServiceProcess;

import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Benchmark (not a test) of issue 3's "time from POST to the first denoising step on an idle worker".
 *
 * <p>Starts the system the way the end-to-end tests do (see {@code io.texttoimage.e2e.E2eStack}): the machine's
 * PostgreSQL and RabbitMQ (embedded ones where none runs, or where {@code T2I_EMBEDDED} says so), an embedded
 * S3Proxy, a random messaging prefix and a database of its own, the tiny model, the e2e service JVM options; one
 * storage adapter, one generator, one gateway, all ready. Then it submits jobs strictly one after another (each
 * runs to {@code succeeded}, then a short pause, so the worker is idle at every POST) and measures, on this JVM's
 * {@link System#nanoTime()} clock, from just before the POST is sent:
 * <ul>
 *   <li>{@code 201}: the POST's 201 response (body read);</li>
 *   <li>{@code running}: the SSE event saying the worker took the job;</li>
 *   <li>{@code first step}: the first SSE {@code progress} event (the first denoising step is done);</li>
 *   <li>{@code succeeded}: the terminal SSE event.</li>
 * </ul>
 * The SSE stream is opened right after the 201. The gateway sends the job's current state first and then the live
 * events, so nothing is missed; but if a step was already done when the stream opened, the first event is a
 * {@code running} snapshot with {@code step >= 1} instead of a {@code progress} event. Such observations are upper
 * bounds and are counted in the output ("from the snapshot").
 *
 * <p>Run it with {@code bin/benchmark-first-step} (which builds the class path); every process it started is
 * stopped on normal exit, failure, SIGTERM and Ctrl-C (a JVM shutdown hook), the database is dropped and the
 * run's queues and exchanges are deleted.
 */
public final class FirstStepBenchmark {
    private static final Duration JOB_TIMEOUT = Duration.ofMinutes(2);
    private static final Set<String> TERMINAL = Set.of("succeeded", "failed", "cancelled");

    private record Settings(int jobs, int warmup, int steps, int width, int height, String scheduler, long pauseMillis,
                            List<String> serviceJvmOptions) {
    }

    /** Nanosecond offsets from "POST sent"; -1 = not seen. */
    private record Sample(String id, long created, long running, long firstStep, long succeeded,
                          boolean runningFromSnapshot, boolean firstStepFromSnapshot, String firstEvent) {
    }

    private FirstStepBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Settings settings = parse(args);
        say("machine: " + TestStacks.machine());
        say("service jars: " + jarDates());
        say("service JVM options: " + String.join(" ", settings.serviceJvmOptions()));
        String loadBeforeStart = TestStacks.loadAverage();
        BenchStack.runAndExit("first-step",
                Map.of(ServiceKind.GATEWAY, Map.of("quarkus.rest-client.storage-adapter.read-timeout", "30000")),
                settings.serviceJvmOptions(), FirstStepBenchmark::say, stack -> {
                    List<ServiceProcess> started = new ArrayList<>();
                    started.add(stack.startService(ServiceKind.STORAGE_ADAPTER, "storage-adapter"));
                    started.add(stack.startService(ServiceKind.GENERATOR, "generator"));
                    started.add(stack.startService(ServiceKind.GATEWAY, "gateway"));
                    Instant readySince = Instant.now();
                    stack.awaitReady(started);
                    say("all ready after " + Duration.between(readySince, Instant.now()).toSeconds() + " s");
                    GatewayClient gateway = stack.gatewayClient();

                    say("load average before: " + TestStacks.loadAverage() + " (before the stack started: "
                            + loadBeforeStart + ")");
                    for (int i = 0; i < settings.warmup(); i++) {
                        Sample sample = runOne(gateway, settings, "warm-up " + i);
                        say(String.format("warm-up %d: %s", i + 1, describe(sample)));
                        Thread.sleep(settings.pauseMillis());
                    }
                    String loadBefore = TestStacks.loadAverage();
                    List<Sample> samples = new ArrayList<>();
                    for (int i = 0; i < settings.jobs(); i++) {
                        Sample sample = runOne(gateway, settings, "benchmark job " + i);
                        samples.add(sample);
                        say(String.format("job %2d: %s", i + 1, describe(sample)));
                        Thread.sleep(settings.pauseMillis());
                    }
                    report(settings, samples, loadBefore, TestStacks.loadAverage());
                });
    }

    /** One job, submitted to an idle system and followed over SSE to its end. */
    private static Sample runOne(GatewayClient gateway, Settings settings, String prompt) throws Exception {
        // A service that died or hangs must end the run (and stop the rest), not block it on an open SSE stream.
        java.util.concurrent.FutureTask<Sample> job = new java.util.concurrent.FutureTask<>(
                () -> measureOne(gateway, settings, prompt));
        Thread runner = Thread.ofVirtual().name("job " + prompt).start(job);
        try {
            return job.get(JOB_TIMEOUT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            runner.interrupt();
            throw new IllegalStateException("'" + prompt + "' did not finish within " + JOB_TIMEOUT.toSeconds()
                    + " s; see the logs in e2e-tests/target/benchmark-first-step/logs/");
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
    }

    private static Sample measureOne(GatewayClient gateway, Settings settings, String prompt) throws Exception {
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("prompt", prompt);
        request.put("num_steps", settings.steps());
        request.put("width", settings.width());
        request.put("height", settings.height());
        request.put("scheduler", settings.scheduler());
        long sent = System.nanoTime();
        JsonNode record = gateway.submit(request);
        long created = System.nanoTime() - sent;
        String id = record.get("id").asText();

        long[] running = {-1};
        long[] firstStep = {-1};
        long[] end = {-1};
        boolean[] runningFromSnapshot = {false};
        boolean[] firstStepFromSnapshot = {false};
        String[] firstEvent = {null};
        String[] endStatus = {null};
        gateway.follow(id, null, event -> {
            long at = System.nanoTime() - sent;
            if ("heartbeat".equals(event.event())) {
                return true;
            }
            boolean snapshot = firstEvent[0] == null; // the gateway's current state comes first
            JsonNode data = GatewayClient.json(event.data());
            String status = data.path("status").asText();
            int step = data.path("step").asInt();
            if (snapshot) {
                firstEvent[0] = event.event() + (step > 0 ? " step " + step : "");
            }
            boolean started = "running".equals(event.event()) || "progress".equals(event.event()) || step > 0
                    || TERMINAL.contains(status);
            if (running[0] < 0 && started) {
                running[0] = at;
                // inferred from a later state (the snapshot was already a progress step or the end)
                runningFromSnapshot[0] = snapshot && !"running".equals(event.event());
            }
            if (firstStep[0] < 0 && ("progress".equals(event.event()) || step > 0)) {
                firstStep[0] = at;
                firstStepFromSnapshot[0] = snapshot;
            }
            if (TERMINAL.contains(status)) {
                end[0] = at;
                endStatus[0] = status;
                return false;
            }
            return true;
        });
        if (!"succeeded".equals(endStatus[0])) {
            throw new IllegalStateException("job " + id + " ended " + endStatus[0] + ": " + gateway.get(id));
        }
        return new Sample(id, created, running[0], firstStep[0], end[0], runningFromSnapshot[0],
                firstStepFromSnapshot[0], firstEvent[0]);
    }

    private static String describe(Sample s) {
        return String.format("201 %s  running %s%s  first step %s%s  succeeded %s  (first SSE event: %s)",
                ms(s.created()), ms(s.running()), s.runningFromSnapshot() ? "*" : "", ms(s.firstStep()),
                s.firstStepFromSnapshot() ? "*" : "", ms(s.succeeded()), s.firstEvent());
    }

    private static void report(Settings settings, List<Sample> samples, String loadBefore, String loadAfter) {
        System.out.println();
        System.out.printf("first-step benchmark: %d jobs one after another (after %d warm-up), %dx%d, %d steps, %s,"
                + " tiny model, %d ms pause between jobs%n", samples.size(), settings.warmup(), settings.width(),
                settings.height(), settings.steps(), settings.scheduler(), settings.pauseMillis());
        System.out.printf("%-34s %9s %9s %9s %9s%n", "from POST sent to (ms)", "p50", "p90", "max", "min");
        row("201 Created received", samples.stream().mapToLong(Sample::created).toArray());
        row("SSE running received", samples.stream().mapToLong(Sample::running).toArray());
        row("SSE first progress (1st step)", samples.stream().mapToLong(Sample::firstStep).toArray());
        row("SSE succeeded received", samples.stream().mapToLong(Sample::succeeded).toArray());
        long fromSnapshot = samples.stream().filter(Sample::firstStepFromSnapshot).count();
        long runningFromSnapshot = samples.stream().filter(Sample::runningFromSnapshot).count();
        System.out.printf("first step seen in the gateway's current-state snapshot instead of a live progress event:"
                + " %d of %d (upper bounds); running inferred from a later state: %d%n", fromSnapshot, samples.size(),
                runningFromSnapshot);
        System.out.println("load average before: " + loadBefore + "   after: " + loadAfter);
        System.out.println("machine: " + TestStacks.machine());
    }

    private static void row(String name, long[] nanos) {
        long[] sorted = Arrays.stream(nanos).filter(n -> n >= 0).sorted().toArray();
        if (sorted.length == 0) {
            System.out.printf("%-34s %9s%n", name, "n/a");
            return;
        }
        System.out.printf("%-34s %9s %9s %9s %9s%s%n", name, ms(percentile(sorted, 50)), ms(percentile(sorted, 90)),
                ms(sorted[sorted.length - 1]), ms(sorted[0]),
                sorted.length < nanos.length ? "  (seen in " + sorted.length + " of " + nanos.length + ")" : "");
    }

    /** Nearest-rank percentile of sorted values. */
    private static long percentile(long[] sorted, int p) {
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    private static String ms(long nanos) {
        return nanos < 0 ? "-" : String.format("%.1f", nanos / 1e6);
    }

    private static String jarDates() {
        StringBuilder text = new StringBuilder();
        for (ServiceKind kind : ServiceKind.values()) {
            try {
                text.append(text.isEmpty() ? "" : ", ").append(kind.module()).append(' ')
                        .append(Files.getLastModifiedTime(kind.runJar(BenchStack.REPO_ROOT)));
            } catch (IOException e) {
                text.append(kind.module()).append(" missing");
            }
        }
        return text.toString();
    }

    private static void say(String line) {
        System.out.println("[benchmark-first-step] " + line);
    }

    private static Settings parse(String[] args) {
        int jobs = 40;
        // The services' hot paths must be compiled before they are timed: with 5 warm-up jobs the first-step p90 was
        // dominated by the JIT (62 ms vs 43 ms after 100 on the same idle machine).
        int warmup = 100;
        int steps = 2;
        int width = 64;
        int height = 64;
        String scheduler = "ddim";
        long pause = 300;
        String jvmOptions = System.getenv().getOrDefault("BENCH_SERVICE_JAVA_OPTS", BenchStack.E2E_SERVICE_JVM_OPTIONS);
        for (int i = 0; i < args.length; i++) {
            String name = args[i];
            if ("--help".equals(name) || "-h".equals(name)) {
                System.out.println("""
                        bin/benchmark-first-step [--jobs 40] [--warmup 100] [--steps 2] [--width 64] [--height 64]
                                                 [--scheduler ddim] [--pause-ms 300] [--service-jvm-options "..."]
                        Starts the stack as the e2e tests do (tiny model), submits the jobs one after another and
                        prints p50/p90/max of POST -> 201 / SSE running / first SSE progress / SSE succeeded.""");
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
                case "--width" -> width = Integer.parseInt(value);
                case "--height" -> height = Integer.parseInt(value);
                case "--scheduler" -> scheduler = value;
                case "--pause-ms" -> pause = Long.parseLong(value);
                case "--service-jvm-options" -> jvmOptions = value;
                default -> throw new IllegalArgumentException("unknown option " + name + " (see --help)");
            }
        }
        List<String> serviceJvmOptions = jvmOptions.isBlank() ? List.of() : List.of(jvmOptions.trim().split("\\s+"));
        return new Settings(jobs, warmup, steps, width, height, scheduler, pause, serviceJvmOptions);
    }
}
