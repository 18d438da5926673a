package io.texttoimage.e2e.fuzz;

import io.texttoimage.e2e.TestStacks;
import io.texttoimage.localstack.service.LocalStack;
import io.texttoimage.localstack.service.ServiceKind;
import io.texttoimage.localstack.service.ServiceProcess;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * The stack the fuzzer fires at ({@link TestStacks}: the machine's PostgreSQL and RabbitMQ or embedded ones, an
 * embedded S3Proxy, a database and messaging prefix of its own): one storage adapter, one generator on the tiny
 * model, one gateway with authentication on, all from their packaged jars. Closing it stops them, drops the
 * database and deletes the run's queues and exchanges.
 */
final class FuzzStack implements AutoCloseable {
    final LocalStack stack;
    final ServiceProcess gateway;

    private FuzzStack(LocalStack stack, ServiceProcess gateway) {
        this.stack = stack;
        this.gateway = gateway;
    }

    /** Empty when every service jar is packaged, else which is missing. */
    static Optional<String> missingJar(Path repoRoot) {
        return TestStacks.missingJar(repoRoot);
    }

    static FuzzStack start(Path repoRoot, String name, Consumer<String> say) throws Exception {
        String runId = UUID.randomUUID().toString().substring(0, 8);
        Path dataDir = Files.createDirectories(repoRoot.resolve("e2e-tests/target/" + name + "/" + runId));
        LocalStack.Options options = TestStacks.options(repoRoot, dataDir, "fuzz", runId,
                Map.of(ServiceKind.GATEWAY, Map.of("t2i.gateway.sse-heartbeat", "PT2S",
                        "quarkus.rest-client.storage-adapter.read-timeout", "30000")),
                TestStacks.SERVICE_JVM_OPTIONS);
        LocalStack stack = LocalStack.startInfrastructure(options, say);
        try {
            ServiceProcess storage = stack.startService(ServiceKind.STORAGE_ADAPTER, "storage-adapter");
            ServiceProcess generator = stack.startService(ServiceKind.GENERATOR, "generator");
            ServiceProcess gateway = stack.startService(ServiceKind.GATEWAY, "gateway");
            stack.awaitReady(List.of(storage, generator, gateway));
            return new FuzzStack(stack, gateway);
        } catch (Exception e) {
            stack.close();
            TestStacks.cleanUp(stack, say);
            throw e;
        }
    }

    /** The bootstrap admin key of the stack's gateway. */
    String adminKey() {
        return stack.adminKey();
    }

    @Override
    public void close() {
        stack.close();
        TestStacks.cleanUp(stack, message -> System.out.println("[fuzz] " + message));
    }

    static String machine() {
        return TestStacks.machine() + ", load average " + TestStacks.loadAverage();
    }
}
