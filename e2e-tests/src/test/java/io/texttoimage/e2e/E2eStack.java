package io.texttoimage.e2e;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.rabbitmq.client.ConnectionFactory;

import io.texttoimage.localstack.client.GatewayClient;
import io.texttoimage.localstack.infra.Endpoints;
import io.texttoimage.localstack.service.LocalStack;
import io.texttoimage.localstack.service.ServiceKind;
import io.texttoimage.localstack.service.ServiceProcess;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The launcher of the quick start, pointed at this machine's PostgreSQL and RabbitMQ (embedded ones where none
 * runs, or where T2I_EMBEDDED says so) and an embedded S3Proxy, with a random messaging prefix and a database of
 * its own, so concurrent test runs on the same servers cannot see each other's jobs.
 */
final class E2eStack implements AutoCloseable {
    static final Path REPO_ROOT = Path.of("..").toAbsolutePath().normalize();
    static final Path TINY_MODEL = REPO_ROOT.resolve("testdata/sd-reference/model");


    /** What the gateways are configured to sign download URLs for: not the default (an hour), so a lost setting shows. */
    static final Duration SIGNED_URL_EXPIRY = Duration.ofMinutes(17);

    final LocalStack stack;

    private E2eStack(LocalStack stack) {
        this.stack = stack;
    }

    static E2eStack startInfrastructure() throws Exception {
        return startInfrastructure(Map.of(), Map.of());
    }

    /**
     * The same, with more settings for some kinds of service (the gateway's are added to the ones above) and these
     * environment variables overriding this process's for the services (e.g. another broker's endpoint).
     */
    static E2eStack startInfrastructure(Map<ServiceKind, Map<String, String>> moreProperties,
                                        Map<String, String> environment) throws Exception {
        Map<String, String> env = new HashMap<>(System.getenv());
        env.putAll(environment);
        Optional<String> missing = TestStacks.missingJar(REPO_ROOT);
        assumeTrue(missing.isEmpty(), missing.orElse(""));
        String runId = UUID.randomUUID().toString().substring(0, 8);
        Path dataDir = Files.createDirectories(REPO_ROOT.resolve("e2e-tests/target/e2e-data/" + runId));
        // A loaded CI machine can take more than the default 5 s for the storage adapter's first signature.
        Map<String, String> gateway = new HashMap<>(Map.of("t2i.gateway.sse-heartbeat", "PT2S",
                "quarkus.rest-client.storage-adapter.read-timeout", "30000",
                "t2i.gateway.signed-url-expiry", SIGNED_URL_EXPIRY.toString(),
                // Every job of a test is the run's key's ("local-run"): the per-owner defaults (20 active,
                // 120 a minute) would refuse the bursts some tests submit; quotas stay on, out of the way.
                // Environment variables: a gateway without quotas ignores them (a -D would stop it).
                "T2I_GATEWAY_QUOTAS_MAX_ACTIVE_JOBS", "10000",
                "T2I_GATEWAY_QUOTAS_SUBMISSIONS_PER_MINUTE", "100000"));
        gateway.putAll(moreProperties.getOrDefault(ServiceKind.GATEWAY, Map.of()));
        Map<ServiceKind, Map<String, String>> properties = new EnumMap<>(ServiceKind.class);
        properties.putAll(moreProperties);
        properties.put(ServiceKind.GATEWAY, gateway);
        LocalStack.Options options = TestStacks.options(REPO_ROOT, dataDir, "e2e", runId, properties,
                TestStacks.SERVICE_JVM_OPTIONS, env);
        return new E2eStack(LocalStack.startInfrastructure(options, line -> System.out.println("[e2e] " + line)));
    }

    /** A client of {@code gateway} that sends the run's API key. */
    GatewayClient client(ServiceProcess gateway) {
        return new GatewayClient(gateway.baseUri(), stack.apiKey());
    }

    /** The same, for a gateway at {@code uri} (a restarted one). */
    GatewayClient client(java.net.URI uri) {
        return new GatewayClient(uri, stack.apiKey());
    }

    /** The t2i client (cli module) with the run's API key. */
    io.texttoimage.cli.GatewayClient cliClient(java.net.URI uri) {
        return new io.texttoimage.cli.GatewayClient(uri, io.texttoimage.cli.ApiKey.of(stack.apiKey(), "the e2e stack"));
    }

    String prefixInUse() {
        return stack.options().messagingPrefix();
    }

    List<ServiceProcess> start(Map<String, ServiceKind> instances) throws Exception {
        List<ServiceProcess> started = new java.util.ArrayList<>();
        for (Map.Entry<String, ServiceKind> instance : instances.entrySet()) {
            started.add(stack.startService(instance.getValue(), instance.getKey()));
        }
        stack.awaitReady(started);
        return started;
    }

    /**
     * The distributed topology: a storage adapter, generators "generator-a" and "generator-b", gateways "gateway-a"
     * and "gateway-b", each its own process, all ready; returned in that order.
     */
    List<ServiceProcess> startTwoGeneratorsAndTwoGateways() throws Exception {
        Map<String, ServiceKind> instances = new java.util.LinkedHashMap<>();
        instances.put("storage-adapter", ServiceKind.STORAGE_ADAPTER);
        instances.put("generator-a", ServiceKind.GENERATOR);
        instances.put("generator-b", ServiceKind.GENERATOR);
        instances.put("gateway-a", ServiceKind.GATEWAY);
        instances.put("gateway-b", ServiceKind.GATEWAY);
        return start(instances);
    }

    /** The folder of {@code bucket} in the embedded S3Proxy (filesystem backend: one file per object key). */
    Path embeddedBucketFolder(String bucket) {
        return stack.options().dataDir().resolve("s3").resolve(bucket);
    }

    Endpoints.Amqp amqp() {
        return stack.infrastructure().amqp();
    }

    ConnectionFactory amqpConnectionFactory() {
        return BrokerNames.connectionFactory(amqp());
    }

    @Override
    public void close() {
        stack.close();
        TestStacks.cleanUp(stack, line -> System.out.println("[e2e] " + line));
    }
}
