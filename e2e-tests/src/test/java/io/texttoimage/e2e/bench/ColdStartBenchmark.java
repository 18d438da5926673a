package io.texttoimage.e2e.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.texttoimage.e2e.TestStacks;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;

import io.texttoimage.broker.Role;
import io.texttoimage.broker.Topology;
import io.texttoimage.broker.TopologyDeclarer;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Benchmark (not a test) of issue 13: a generator's cold start, the scale-from-zero case.
 *
 * <p>Per run it publishes one job on the (purged, hence empty) work queue and at that moment launches a generator
 * from its packaged jar, then measures from the launch, on this JVM's clock: Quarkus started (its "started in" log
 * line), the model's startup timeline (the generator's one-line log: model resolution, each session's creation and
 * where its graph came from, warm-up), {@code /q/health/ready} UP (polled every 25 ms), and the job's first PROGRESS
 * event (its first denoising step). It reads the generator's peak RSS (VmHWM) just before stopping it.
 *
 * <p>The generator is launched as the CPU image launches it, through src/main/docker/generator-entrypoint.sh.
 * Modes, interleaved run by run so that the machine's load hits all alike: {@code before} = the code path before
 * the cache (no graph cache, sessions one after another), {@code cold} = cache on but empty (first start on a new
 * node; it stores the graphs later, once idle), {@code warm} = cache filled by an earlier start, {@code aot} = warm
 * plus the JVM AOT cache of the entrypoint (recorded by an untimed launch first). Needs RabbitMQ on
 * {@code RABBITMQ_HOST:RABBITMQ_PORT} (default 127.0.0.1:5672, guest/guest); a random prefix per invocation, whose
 * exchanges and queues are deleted at the end. Run it with {@code bin/benchmark-cold-start}.
 */
public final class ColdStartBenchmark {
    private static final Path REPO_ROOT = Path.of(System.getProperty("t2i.repo-root", ".")).toAbsolutePath().normalize();
    private static final Path JAR = REPO_ROOT.resolve("generator/target/quarkus-app/quarkus-run.jar");
    private static final Path ENTRYPOINT = REPO_ROOT.resolve("src/main/docker/generator-entrypoint.sh");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern QUARKUS_STARTED = Pattern.compile("started in ([0-9.]+)s");
    private static final Pattern TIMELINE_PART = Pattern.compile("([a-z_-]+)=([0-9]+)ms(?:\\(([A-Z_]+)\\))?");
    private static final Duration START_TIMEOUT = Duration.ofMinutes(10);
    private static final Pattern GRAPHS_STORED = Pattern.compile("Stored the optimised graphs of (\\[.*]) for the next start in ([0-9]+) ms");

    private record Settings(List<Path> models, List<String> modes, int runs, int size, int steps,
                            List<String> jvmOptions, Path workDir) {
    }

    /** One launch: milliseconds since the launch for each mark, the timeline's parts, the peak RSS. */
    private record Sample(String model, String mode, Map<String, Long> marks, String sources, long peakRssMb) {
    }

    private ColdStartBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Settings settings = parse(args);
        if (!Files.isRegularFile(JAR)) {
            System.err.println("benchmark-cold-start: " + JAR + " is missing");
            System.exit(2);
        }
        String prefix = "t2i-cold-" + UUID.randomUUID().toString().substring(0, 8);
        Topology topology = new Topology(prefix);
        ConnectionFactory factory = new ConnectionFactory();
        factory.setHost(System.getenv().getOrDefault("RABBITMQ_HOST", "127.0.0.1"));
        factory.setPort(Integer.parseInt(System.getenv().getOrDefault("RABBITMQ_PORT", "5672")));
        say("machine: " + machine());
        say("generator jar " + JAR + " (" + Files.getLastModifiedTime(JAR) + "), JVM options "
                + String.join(" ", settings.jvmOptions()));
        say("job: " + settings.size() + "x" + settings.size() + ", " + settings.steps() + " steps, CFG 7.5, DDIM");
        List<Sample> samples = new ArrayList<>();
        try (Connection connection = factory.newConnection("benchmark-cold-start")) {
            Channel channel = connection.createChannel();
            TopologyDeclarer.declare(channel, topology.startupOf(Role.GATEWAY));
            TopologyDeclarer.declare(channel, topology.startupOf(Role.GENERATOR));
            String events = TopologyDeclarer.declareQueue(channel, topology.liveEventsQueue("cold-start-bench"));
            Map<String, Long> firstProgress = new ConcurrentHashMap<>();
            channel.basicConsume(events, true, (tag, delivery) -> {
                JsonNode event = JSON.readTree(delivery.getBody());
                if ("PROGRESS".equalsIgnoreCase(event.path("type").asText())) {
                    firstProgress.putIfAbsent(event.path("job_id").asText(), System.nanoTime());
                }
            }, tag -> { });
            try {
                for (int run = 1; run <= settings.runs(); run++) {
                    for (Path model : settings.models()) {
                        for (String mode : settings.modes()) {
                            Sample sample = runOnce(settings, model, mode, topology, channel, firstProgress);
                            samples.add(sample);
                            say(String.format("run %d %s %s: %s; %s; peak RSS %d MB; load %s", run, name(model), mode,
                                    sample.marks(), sample.sources(), sample.peakRssMb(), TestStacks.loadAverage()));
                        }
                    }
                }
            } finally {
                deleteTopology(channel, topology, events);
            }
        }
        report(settings, samples);
    }

    private static Sample runOnce(Settings settings, Path model, String mode, Topology topology, Channel channel,
                                  Map<String, Long> firstProgress) throws Exception {
        Path cache = settings.workDir().resolve("graph-cache-" + name(model));
        Path jvmCache = settings.workDir().resolve("jvm-aot-cache");
        boolean warmGraphs = mode.equals("warm") || mode.equals("aot");
        if (mode.equals("cold")) {
            deleteTree(cache);
        } else if (warmGraphs && !holdsEntries(cache)) {
            say(mode + ": filling the graph cache for " + name(model) + " first (untimed)");
            runOnce(settings, model, "fill", topology, channel, firstProgress);
        }
        if (mode.equals("aot") && !holdsEntries(jvmCache)) {
            say("aot: recording the JVM AOT cache first (untimed)");
            runOnce(settings, model, "record", topology, channel, firstProgress);
        }
        channel.queuePurge(topology.workQueue());
        int port = freePort();
        int managementPort = freePort(); // health is on the management interface
        // As the CPU image starts it: the entrypoint runs `java <these options> -jar quarkus-run.jar`.
        List<String> command = new ArrayList<>(List.of("sh", ENTRYPOINT.toString()));
        command.addAll(settings.jvmOptions());
        command.addAll(List.of("-Dquarkus.http.port=" + port, "-Dquarkus.management.port=" + managementPort,
                "-Dt2i.messaging.prefix=" + topology.prefix(),
                "-Dt2i.generator.model=" + model.toAbsolutePath(), "-Dt2i.generator.store-timeout=PT5S",
                "-Dt2i.generator.ort.graph-cache.enabled=" + !mode.equals("before"),
                "-Dt2i.generator.ort.graph-cache.dir=" + cache, "-Dt2i.generator.ort.parallel-load=" + !mode.equals("before"),
                // the fill launch stores the graphs as soon as its job is done
                "-Dt2i.generator.ort.graph-cache.store-when-idle-for=" + (mode.equals("fill") ? "PT0S" : "PT10S"),
                "-Drabbitmq-host=" + System.getenv().getOrDefault("RABBITMQ_HOST", "127.0.0.1")));
        ProcessBuilder launcher = new ProcessBuilder(command).redirectErrorStream(true);
        launcher.environment().put("JAVA_HOME", System.getProperty("java.home"));
        launcher.environment().put("T2I_APP_DIR", JAR.getParent().toString());
        launcher.environment().remove("JAVA_TOOL_OPTIONS");
        launcher.environment().remove("T2I_JVM_AOT_CACHE_DIR");
        if (mode.equals("aot") || mode.equals("record")) {
            launcher.environment().put("T2I_JVM_AOT_CACHE_DIR", jvmCache.toString());
        }
        String jobId = UUID.randomUUID().toString();
        // The GenerationRequested wire format (contracts), written out so this class needs no JSON time module.
        Map<String, Object> job = new LinkedHashMap<>();
        job.put("schema_version", 1);
        job.put("job_id", jobId);
        job.put("prompt", "a photograph of an astronaut riding a horse");
        job.put("num_steps", settings.steps());
        job.put("guidance_scale", 7.5);
        job.put("width", settings.size());
        job.put("height", settings.size());
        job.put("scheduler", "ddim");
        job.put("seed", 42);
        job.put("num_images", 1);
        job.put("requested_at", Instant.now().toString());
        channel.basicPublish(topology.requestsExchange(), Topology.JOB_ROUTING_KEY, true,
                new AMQP.BasicProperties.Builder().contentType("application/json").deliveryMode(2).messageId(jobId).build(),
                JSON.writeValueAsBytes(job));
        long launch = System.nanoTime();
        Process process = launcher.start();
        Map<String, Long> marks = new LinkedHashMap<>();
        StringBuilder sources = new StringBuilder();
        CountDownLatch timeline = new CountDownLatch(1);
        Path log = settings.workDir().resolve("logs/" + name(model) + "-" + mode + "-" + System.currentTimeMillis() + ".log");
        Files.createDirectories(log.getParent());
        CountDownLatch graphsStored = new CountDownLatch(1);
        Thread reader = Thread.ofPlatform().daemon().start(() -> readLog(process, launch, log, marks, sources, timeline,
                graphsStored));
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        URI ready = URI.create("http://127.0.0.1:" + managementPort + "/q/health/ready");
        long deadline = launch + START_TIMEOUT.toNanos();
        long peakRss = -1;
        try {
            while (!marks.containsKey("ready")) {
                if (System.nanoTime() > deadline || !process.isAlive()) {
                    throw new IllegalStateException("the generator did not become ready (log: " + log + ")");
                }
                try {
                    if (http.send(HttpRequest.newBuilder(ready).timeout(Duration.ofSeconds(2)).build(),
                            HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                        marks.put("ready", millisSince(launch));
                    }
                } catch (IOException notListeningYet) {
                    // the HTTP server is not up yet
                }
                if (!marks.containsKey("ready")) {
                    Thread.sleep(25);
                }
            }
            while (!firstProgress.containsKey(jobId)) {
                if (System.nanoTime() > deadline || !process.isAlive()) {
                    throw new IllegalStateException("no first step (log: " + log + ")");
                }
                Thread.sleep(10);
            }
            timeline.await(10, TimeUnit.SECONDS);
            marks.put("first-step", (firstProgress.get(jobId) - launch) / 1_000_000);
            peakRss = peakRssMb(javaPid(process));
            if (mode.equals("fill")) {
                if (!graphsStored.await(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                    throw new IllegalStateException("the optimised graphs were not stored (log: " + log + ")");
                }
                say("  peak RSS " + peakRssMb(javaPid(process)) + " MB with the store (" + peakRss + " MB before it)");
            }
        } finally {
            // SIGTERM to the entrypoint, which passes it on (Process.destroy would also close the output pipe, which
            // the JVM still writes to while it stores its AOT cache).
            process.toHandle().destroy();
            if (!process.waitFor(180, TimeUnit.SECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly().waitFor();
            }
            reader.join(5_000);
        }
        return new Sample(name(model), mode, marks, sources.toString(), peakRss);
    }

    /** Copies the generator's output to its log file and notes when the marks appear. */
    private static void readLog(Process process, long launch, Path log, Map<String, Long> marks, StringBuilder sources,
                                CountDownLatch timeline, CountDownLatch graphsStored) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
             PrintWriter out = new PrintWriter(Files.newBufferedWriter(log))) {
            for (String line; (line = in.readLine()) != null; ) {
                out.println(line);
                if (!marks.containsKey("quarkus-started") && QUARKUS_STARTED.matcher(line).find()) {
                    marks.put("quarkus-started", millisSince(launch));
                }
                Matcher stored = GRAPHS_STORED.matcher(line);
                if (stored.find()) {
                    say("  stored the optimised graphs " + stored.group(1) + " in " + stored.group(2) + " ms");
                    graphsStored.countDown();
                }
                int at = line.indexOf("Startup timeline: ");
                if (at >= 0) {
                    Matcher part = TIMELINE_PART.matcher(line.substring(at));
                    while (part.find()) {
                        marks.put(part.group(1), Long.parseLong(part.group(2)));
                        if (part.group(3) != null) {
                            sources.append(sources.isEmpty() ? "" : " ").append(part.group(1)).append(':')
                                    .append(part.group(3));
                        }
                    }
                    timeline.countDown();
                }
            }
        } catch (IOException e) {
            if (!marks.containsKey("first-step")) {
                System.err.println("benchmark-cold-start: reading the generator's output: " + e);
            } // else: the stream closed because the benchmark stopped the generator
        }
    }

    private static final List<String> COLUMNS = List.of("quarkus-started", "resolve", "text_encoder", "unet",
            "vae_decoder", "sessions", "warm-up", "jvm-uptime-at-ready", "ready", "first-step");

    private static void report(Settings settings, List<Sample> samples) {
        say("");
        say("all times in ms from the generator's launch (quarkus-started, ready, first-step) or durations (the others);"
                + " min / median / max over " + settings.runs() + " runs; load now " + TestStacks.loadAverage());
        for (Path model : settings.models()) {
            for (String mode : settings.modes()) {
                List<Sample> of = samples.stream().filter(s -> s.model().equals(name(model)) && s.mode().equals(mode))
                        .toList();
                if (of.isEmpty()) {
                    continue;
                }
                StringBuilder line = new StringBuilder(String.format("%-14s %-6s", name(model), mode));
                for (String column : COLUMNS) {
                    long[] values = of.stream().mapToLong(s -> s.marks().getOrDefault(column, -1L)).sorted().toArray();
                    line.append(String.format("  %s %d/%d/%d", column, values[0], values[values.length / 2],
                            values[values.length - 1]));
                }
                long[] rss = of.stream().mapToLong(Sample::peakRssMb).sorted().toArray();
                line.append(String.format("  peak-RSS-MB %d/%d/%d", rss[0], rss[rss.length / 2], rss[rss.length - 1]));
                say(line.toString());
            }
        }
    }

    private static Settings parse(String[] args) {
        List<Path> models = new ArrayList<>();
        List<String> modes = List.of("before", "cold", "warm", "aot");
        int runs = 3;
        int size = 256;
        int steps = 2;
        List<String> jvm = List.of("-XX:MaxRAMPercentage=25", "-XX:+ExitOnOutOfMemoryError");
        Path work = REPO_ROOT.resolve("e2e-tests/target/benchmark-cold-start");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                case "--size" -> size = Integer.parseInt(args[++i]);
                case "--steps" -> steps = Integer.parseInt(args[++i]);
                case "--modes" -> modes = List.of(args[++i].split(","));
                case "--jvm-options" -> jvm = List.of(args[++i].trim().split("\\s+"));
                case "--work-dir" -> work = Path.of(args[++i]);
                default -> models.add(Path.of(args[i]));
            }
        }
        if (models.isEmpty()) {
            models.add(REPO_ROOT.resolve("testdata/sd-reference/model"));
        }
        return new Settings(models, modes, runs, size, steps, jvm, work.toAbsolutePath());
    }

    private static void deleteTopology(Channel channel, Topology topology, String events) {
        try {
            channel.queueDelete(events);
            channel.queueDelete(topology.workQueue());
            channel.queueDelete(topology.persistQueue());
            channel.queueDelete(topology.imageStoreQueue());
            for (String exchange : List.of(topology.requestsExchange(), topology.controlExchange(),
                    topology.jobEventsExchange(), topology.imageStoreExchange(), topology.imageStoredExchange())) {
                channel.exchangeDelete(exchange);
            }
        } catch (IOException | RuntimeException e) {
            System.err.println("benchmark-cold-start: could not delete the run's queues: " + e);
        }
    }

    /** The generator's JVM: the entrypoint's child, or the entrypoint itself once it exec'd java. */
    private static long javaPid(Process launcher) {
        return launcher.children().findFirst().map(ProcessHandle::pid).orElse(launcher.pid());
    }

    /** A folder with something in it (a graph cache's entries, the JVM's AOT cache file). */
    private static boolean holdsEntries(Path folder) throws IOException {
        if (!Files.isDirectory(folder)) {
            return false;
        }
        try (Stream<Path> entries = Files.list(folder)) {
            return entries.anyMatch(p -> !p.getFileName().toString().startsWith("."));
        }
    }

    private static long peakRssMb(long pid) {
        long kb = TestStacks.procStatusKb(pid, "VmHWM");
        return kb < 0 ? -1 : kb / 1024;
    }

    private static String name(Path model) {
        Path normal = model.toAbsolutePath().normalize();
        return normal.getFileName().toString().equals("model") ? "tiny" : normal.getFileName().toString();
    }

    private static long millisSince(long start) {
        return (System.nanoTime() - start) / 1_000_000;
    }

    private static void deleteTree(Path path) throws IOException {
        if (Files.exists(path)) {
            try (Stream<Path> walk = Files.walk(path)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    private static String machine() throws IOException {
        String cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("?");
        long memKb = Files.readAllLines(Path.of("/proc/meminfo")).stream().filter(l -> l.startsWith("MemTotal"))
                .findFirst().map(l -> Long.parseLong(l.replaceAll("\\D", ""))).orElse(0L);
        return Runtime.getRuntime().availableProcessors() + " CPUs (" + cpu + "), " + memKb / 1024 / 1024 + " GiB, "
                + "Java " + System.getProperty("java.version") + ", load " + TestStacks.loadAverage();
    }

    private static void say(String line) {
        System.out.println("[" + Instant.now().toString().substring(11, 19) + "] " + line);
        System.out.flush();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
