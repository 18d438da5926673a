package io.texttoimage.e2e;

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
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * What every stack of this module shares — the e2e tests' ({@link E2eStack}), the benchmarks' ({@code BenchStack})
 * and the fuzzer's ({@code FuzzStack}): the launcher's options for a run of its own (the machine's PostgreSQL and
 * RabbitMQ, or embedded ones where none runs or T2I_EMBEDDED says so; an embedded S3Proxy; a database and a
 * messaging prefix named after the run), the clean-up that leaves nothing on the shared servers, and the machine
 * and its load for a report.
 */
public final class TestStacks {

    /**
     * Several service JVMs start at once on what may be a busy 2-core CI machine: C1-only JIT and the serial GC cut
     * their start-up CPU a lot, and the tiny model's work is native (ONNX Runtime) anyway.
     */
    public static final List<String> SERVICE_JVM_OPTIONS = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
            "-Xmx512m");

    private TestStacks() {
    }

    /**
     * Options for a stack on the tiny model whose data lives in {@code dataDir}, with database {@code t2i_<name>_<runId>}
     * and messaging prefix {@code t2i-<name>-<runId>}.
     */
    public static LocalStack.Options options(Path repoRoot, Path dataDir, String name, String runId,
                                             Map<ServiceKind, Map<String, String>> extraProperties,
                                             List<String> jvmOptions) {
        return options(repoRoot, dataDir, name, runId, extraProperties, jvmOptions, System.getenv());
    }

    /**
     * The same, with the servers' endpoints taken from {@code env} instead of this process's environment (a test
     * that runs a broker of its own passes its {@code RABBITMQ_HOST}/{@code RABBITMQ_PORT}).
     */
    public static LocalStack.Options options(Path repoRoot, Path dataDir, String name, String runId,
                                             Map<ServiceKind, Map<String, String>> extraProperties,
                                             List<String> jvmOptions, Map<String, String> env) {
        Set<Infrastructure.Server> embedded = EnumSet.of(Infrastructure.Server.S3);
        embedded.addAll(Infrastructure.Options.parseForced(System.getenv("T2I_EMBEDDED")));
        Infrastructure.Options infrastructure = new Infrastructure.Options(dataDir, env,
                "t2i_" + name.replace('-', '_') + "_" + runId, embedded, 0);
        return new LocalStack.Options(repoRoot, dataDir, infrastructure, "t2i-" + name + "-" + runId,
                repoRoot.resolve("testdata/sd-reference/model").toString(), "main", false, extraProperties,
                Duration.ofMinutes(10), Duration.ofMinutes(10), jvmOptions);
    }

    /** Empty when every service jar is packaged, else the missing one and how to build it. */
    public static Optional<String> missingJar(Path repoRoot) {
        for (ServiceKind kind : ServiceKind.values()) {
            if (!Files.isRegularFile(kind.runJar(repoRoot))) {
                return Optional.of(kind.runJar(repoRoot) + " is missing: these stacks run the packaged services;"
                        + " run them with `./mvnw verify`, or package them first (./mvnw -B -pl"
                        + " gateway,generator,storage-adapter -am package -DskipTests)");
            }
        }
        return Optional.empty();
    }

    /**
     * Drops the run's database and deletes its durable queues and exchanges on the shared servers, which would
     * otherwise keep them forever (embedded servers go with the run).
     */
    public static void cleanUp(LocalStack stack, Consumer<String> say) {
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

    /**
     * A field of {@code /proc/<pid>/status} in kB (VmRSS: resident memory now; VmHWM: its peak); -1 off Linux or
     * when the process is gone.
     */
    public static long procStatusKb(long pid, String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith(field + ":")) {
                    return Long.parseLong(line.replaceAll("\\D", ""));
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or already gone
        }
        return -1;
    }

    /** The 1, 5 and 15 minute load averages, or "n/a" off Linux. */
    public static String loadAverage() {
        try {
            String[] fields = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return fields[0] + " " + fields[1] + " " + fields[2];
        } catch (IOException e) {
            return "n/a";
        }
    }

    /** Host, CPUs and their model, memory, OS and Java: what a benchmark's or fuzz run's figures were made on. */
    public static String machine() {
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
