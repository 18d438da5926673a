package io.texttoimage.e2e.fuzz;

import io.texttoimage.e2e.BrokerNames;
import io.texttoimage.localstack.infra.Databases;
import io.texttoimage.localstack.infra.Endpoints;
import io.texttoimage.localstack.infra.Infrastructure;
import io.texttoimage.localstack.service.LocalStack;
import io.texttoimage.localstack.service.ServiceKind;
import io.texttoimage.localstack.service.ServiceProcess;

import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * The stack the fuzzer fires at, started as the e2e tests start theirs (see {@code io.texttoimage.e2e.E2eStack}):
 * the machine's PostgreSQL and RabbitMQ (embedded ones where none runs, or T2I_EMBEDDED), an embedded S3Proxy, a
 * database and messaging prefix of its own; one storage adapter, one generator on the tiny model, one gateway, all
 * from their packaged jars. Closing it stops them, drops the database and deletes the run's queues and exchanges.
 */
final class FuzzStack implements AutoCloseable {
    static final List<String> SERVICE_JVM_OPTIONS = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx512m");

    final LocalStack stack;
    final ServiceProcess gateway;

    private FuzzStack(LocalStack stack, ServiceProcess gateway) {
        this.stack = stack;
        this.gateway = gateway;
    }

    /** Empty when a service jar is missing (the message says which), else the started, ready stack. */
    static Optional<String> missingJar(Path repoRoot) {
        for (ServiceKind kind : ServiceKind.values()) {
            if (!Files.isRegularFile(kind.runJar(repoRoot))) {
                return Optional.of(kind.runJar(repoRoot) + " is missing: the fuzzer runs the packaged services;"
                        + " package storage-adapter, generator and gateway first (./mvnw -B -pl"
                        + " gateway,generator,storage-adapter -am package -DskipTests)");
            }
        }
        return Optional.empty();
    }

    static FuzzStack start(Path repoRoot, String name, Consumer<String> say) throws Exception {
        String runId = UUID.randomUUID().toString().substring(0, 8);
        Path dataDir = Files.createDirectories(repoRoot.resolve("e2e-tests/target/" + name + "/" + runId));
        Set<Infrastructure.Server> embedded = EnumSet.of(Infrastructure.Server.S3);
        embedded.addAll(Infrastructure.Options.parseForced(System.getenv("T2I_EMBEDDED")));
        Infrastructure.Options infrastructure = new Infrastructure.Options(dataDir, System.getenv(),
                "t2i_fuzz_" + runId, embedded, 0);
        LocalStack.Options options = new LocalStack.Options(repoRoot, dataDir, infrastructure, "t2i-fuzz-" + runId,
                repoRoot.resolve("testdata/sd-reference/model").toString(), "main", false,
                Map.of(ServiceKind.GATEWAY, Map.of("t2i.gateway.sse-heartbeat", "PT2S",
                        "quarkus.rest-client.storage-adapter.read-timeout", "30000")),
                Duration.ofMinutes(10), Duration.ofMinutes(10), SERVICE_JVM_OPTIONS);
        LocalStack stack = LocalStack.startInfrastructure(options, say);
        try {
            ServiceProcess storage = stack.startService(ServiceKind.STORAGE_ADAPTER, "storage-adapter");
            ServiceProcess generator = stack.startService(ServiceKind.GENERATOR, "generator");
            ServiceProcess gateway = stack.startService(ServiceKind.GATEWAY, "gateway");
            stack.awaitReady(List.of(storage, generator, gateway));
            return new FuzzStack(stack, gateway);
        } catch (Exception e) {
            stop(stack, say);
            throw e;
        }
    }

    /**
     * The bootstrap admin key of the stack: -Dt2i.fuzz.admin-key, else {@code LocalStack.adminKey()} where the local
     * stack has one (issue 11's clients part adds it; looked up by name so that this compiles before and after).
     */
    Optional<String> adminKey() {
        String property = System.getProperty("t2i.fuzz.admin-key", "");
        if (!property.isBlank()) {
            return Optional.of(property);
        }
        try {
            Method method = LocalStack.class.getMethod("adminKey");
            Object key = method.invoke(stack);
            if (key instanceof Optional<?> optional) {
                return optional.map(Object::toString);
            }
            return Optional.ofNullable(key).map(Object::toString);
        } catch (NoSuchMethodException e) {
            return Optional.empty();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("LocalStack.adminKey() failed", e);
        }
    }

    @Override
    public void close() {
        stop(stack, message -> System.out.println("[fuzz] " + message));
    }

    private static void stop(LocalStack stack, Consumer<String> say) {
        stack.close();
        Endpoints.Postgres postgres = stack.infrastructure().postgres();
        if (postgres == null || postgres.origin().startsWith("embedded")) {
            return;
        }
        try {
            Databases.drop(postgres);
        } catch (Exception e) {
            say.accept("could not drop database " + postgres.database() + ": " + e);
        }
        try {
            BrokerNames.deleteDurable(stack.infrastructure().amqp(), stack.options().messagingPrefix());
        } catch (Exception e) {
            say.accept("could not clean up broker names: " + e);
        }
    }

    static String machine() {
        String load = "n/a";
        String memory = "";
        try {
            load = Files.readString(Path.of("/proc/loadavg")).trim().replaceAll("^(\\S+ \\S+ \\S+).*", "$1");
            memory = Files.readAllLines(Path.of("/proc/meminfo")).stream().filter(l -> l.startsWith("MemTotal"))
                    .findFirst().map(l -> ", " + Long.parseLong(l.replaceAll("\\D", "")) / 1024 / 1024 + " GiB RAM")
                    .orElse("");
        } catch (Exception e) {
            // not Linux
        }
        return Runtime.getRuntime().availableProcessors() + " CPUs" + memory + ", load average " + load + ", "
                + System.getProperty("os.name") + " " + System.getProperty("os.version") + ", Java "
                + System.getProperty("java.version");
    }
}
