package io.texttoimage.e2e.bench;

import io.texttoimage.e2e.TestStacks;
import io.texttoimage.localstack.service.LocalStack;
import io.texttoimage.localstack.service.ServiceKind;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
    /** The e2e tests' service JVM options, unless BENCH_SERVICE_JAVA_OPTS overrides them. */
    static final String E2E_SERVICE_JVM_OPTIONS = String.join(" ", TestStacks.SERVICE_JVM_OPTIONS);

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
        Optional<String> missing = TestStacks.missingJar(REPO_ROOT);
        if (missing.isPresent()) {
            System.err.println("benchmark-" + name + ": " + missing.get());
            System.exit(2);
        }
        LocalStack stack = LocalStack.startInfrastructure(options(name, extraProperties, jvmOptions), say);
        AtomicBoolean stopped = new AtomicBoolean();
        Runnable stop = () -> {
            if (stopped.compareAndSet(false, true)) {
                say.accept("stopping the stack");
                stack.close();
                TestStacks.cleanUp(stack, say);
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
        return TestStacks.options(REPO_ROOT, dataDir, name, runId, withoutQuotas(extraProperties), jvmOptions);
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
}
