package io.texttoimage.e2e.bench;

import io.texttoimage.e2e.BrokerNames;
import io.texttoimage.localstack.infra.Databases;
import io.texttoimage.localstack.infra.Endpoints;
import io.texttoimage.localstack.infra.Infrastructure;
import io.texttoimage.localstack.service.LocalStack;
import io.texttoimage.localstack.service.ServiceKind;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * What the benchmarks that run the whole stack share: a local stack on the tiny model with its own database and
 * messaging prefix (the machine's PostgreSQL/RabbitMQ or embedded ones, an embedded S3Proxy), started from the
 * packaged jars as the e2e tests do, and stopped — database dropped, queues and exchanges deleted — on a normal end,
 * a failure, SIGTERM or Ctrl-C; and the machine and its load for the report.
 */
final class BenchStack {
    static final Path REPO_ROOT = Path.of(System.getProperty("t2i.repo-root", ".")).toAbsolutePath().normalize();
    static final Path TINY_MODEL = REPO_ROOT.resolve("testdata/sd-reference/model");
    /** The same options as E2eStack.SERVICE_JVM_OPTIONS, unless --service-jvm-options overrides them. */
    static final String E2E_SERVICE_JVM_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xmx512m";

    /** What a benchmark does with the running infrastructure (it starts the services it needs). */
    interface Body {
        void run(LocalStack stack) throws Exception;
    }

    private BenchStack() {
    }

    /**
     * Runs {@code body} against a fresh stack named {@code name} (data in {@code e2e-tests/target/benchmark-<name>})
     * and exits the JVM: 0, 1 when the body failed, 2 when a service jar is missing.
     */
    static void runAndExit(String name, Map<ServiceKind, Map<String, String>> extraProperties, List<String> jvmOptions,
                           Consumer<String> say, Body body) throws Exception {
        for (ServiceKind kind : ServiceKind.values()) {
            if (!Files.isRegularFile(kind.runJar(REPO_ROOT))) {
                System.err.println("benchmark-" + name + ": " + kind.runJar(REPO_ROOT) + " is missing; build it with"
                        + " ./mvnw -B -pl gateway,generator,storage-adapter -am package -DskipTests");
                System.exit(2);
            }
        }
        LocalStack stack = LocalStack.startInfrastructure(options(name, extraProperties, jvmOptions), say);
        AtomicBoolean stopped = new AtomicBoolean();
        Runnable stop = () -> {
            if (stopped.compareAndSet(false, true)) {
                say.accept("stopping the stack");
                stack.close();
                cleanUp(stack, say);
                say.accept("stopped");
            }
        };
        // Ctrl-C, SIGTERM, a failure or a normal end: whatever was started so far is stopped.
        Thread hook = new Thread(stop, "benchmark-" + name + "-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        int exitCode = 0;
        try {
            body.run(stack);
        } catch (Exception e) {
            System.err.println("benchmark-" + name + ": " + e);
            e.printStackTrace();
            exitCode = 1;
        } finally {
            stop.run();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is already running (Ctrl-C)
            }
        }
        System.exit(exitCode);
    }

    private static LocalStack.Options options(String name, Map<ServiceKind, Map<String, String>> extraProperties,
                                              List<String> jvmOptions) throws IOException {
        String runId = UUID.randomUUID().toString().substring(0, 8);
        Path dataDir = Files.createDirectories(REPO_ROOT.resolve("e2e-tests/target/benchmark-" + name));
        Set<Infrastructure.Server> embedded = EnumSet.of(Infrastructure.Server.S3);
        embedded.addAll(Infrastructure.Options.parseForced(System.getenv("T2I_EMBEDDED")));
        Infrastructure.Options infrastructure = new Infrastructure.Options(dataDir, System.getenv(),
                "t2i_" + name.replace('-', '_') + "_" + runId, embedded, 0);
        return new LocalStack.Options(REPO_ROOT, dataDir, infrastructure, "t2i-" + name + "-" + runId,
                TINY_MODEL.toString(), "main", false, withoutQuotas(extraProperties), Duration.ofMinutes(10),
                Duration.ofMinutes(10), jvmOptions);
    }

    /** A benchmark submits as fast as the stack takes jobs: the per-owner quotas would measure themselves. */
    private static Map<ServiceKind, Map<String, String>> withoutQuotas(Map<ServiceKind, Map<String, String>> extra) {
        Map<ServiceKind, Map<String, String>> all = new java.util.EnumMap<>(ServiceKind.class);
        all.putAll(extra);
        Map<String, String> gateway = new java.util.LinkedHashMap<>(extra.getOrDefault(ServiceKind.GATEWAY, Map.of()));
        gateway.putIfAbsent("T2I_GATEWAY_QUOTAS_ENABLED", "false"); // environment: harmless to a gateway without quotas
        all.put(ServiceKind.GATEWAY, gateway);
        return all;
    }

    /** Drops the run's database and deletes its durable queues and exchanges on the shared servers. */
    private static void cleanUp(LocalStack stack, Consumer<String> say) {
        Endpoints.Postgres postgres = stack.infrastructure().postgres();
        if (postgres == null || postgres.origin().startsWith("embedded")) {
            return;
        }
        try {
            Databases.drop(postgres);
        } catch (Exception e) {
            say.accept("could not drop database " + postgres.database() + ": " + e);
        }
        String prefix = stack.options().messagingPrefix();
        try {
            BrokerNames.deleteDurable(stack.infrastructure().amqp(), prefix);
        } catch (Exception e) {
            say.accept("could not clean up broker names of " + prefix + ": " + e);
        }
    }

    static String loadAverage() {
        try {
            String[] fields = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return fields[0] + " " + fields[1] + " " + fields[2];
        } catch (IOException e) {
            return "n/a";
        }
    }

    static String machine() {
        String cpu = "unknown CPU";
        String memory = "";
        try {
            cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse(cpu);
            memory = Files.readAllLines(Path.of("/proc/meminfo")).stream().filter(l -> l.startsWith("MemTotal"))
                    .findFirst().map(l -> ", " + Long.parseLong(l.replaceAll("\\D", "")) / 1024 / 1024 + " GiB RAM")
                    .orElse("");
        } catch (IOException | RuntimeException ignored) {
            // not Linux: the rest is still useful
        }
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            host = "?";
        }
        return host + ": " + Runtime.getRuntime().availableProcessors() + " CPUs (" + cpu + ")" + memory + ", "
                + System.getProperty("os.name") + " " + System.getProperty("os.version") + ", Java "
                + System.getProperty("java.version");
    }
}
