package io.texttoimage.e2e.chaos;

import io.texttoimage.e2e.servers.PostgresCluster;
import io.texttoimage.e2e.servers.RabbitNode;
import io.texttoimage.localstack.infra.EmbeddedS3;
import io.texttoimage.localstack.infra.Endpoints;
import io.texttoimage.localstack.infra.Ports;
import io.texttoimage.localstack.service.ServiceKind;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The system under chaos: its own PostgreSQL cluster, RabbitMQ node and S3Proxy in the root namespace on the bridge
 * address, and five service processes each on a host of its own ({@link ChaosNetwork}): gateways a and b,
 * generators a and b (tiny model, poison switch on the marker prompt), one storage adapter. Closing stops all of it
 * and removes the namespaces; a shutdown hook does the same if the suite is interrupted.
 */
final class ChaosStack implements AutoCloseable {
    static final String S3_ACCESS_KEY = "chaos-access";
    static final String BUCKET = "generated-images";

    final String runId;
    final Path repoRoot;
    final Path dataDir;
    final ChaosNetwork network;
    final Consumer<String> log;
    final String adminKey = "t2i_" + random(32);
    final String poisonMarker;
    private final String s3SecretKey = random(24);
    private final String storageToken = random(24);
    private final String messagingPrefix;
    private final Path s3Dir;
    private final int s3Port;
    PostgresCluster postgres;
    Endpoints.Postgres database;
    RabbitNode rabbit;
    private volatile EmbeddedS3 s3;
    final Map<String, HostedService> services = new LinkedHashMap<>();
    private final Thread shutdownHook = new Thread(this::close, "chaos-clean-up");
    private volatile boolean closed;

    private ChaosStack(String runId, Path repoRoot, Path dataDir, ChaosNetwork network, Consumer<String> log) {
        this.runId = runId;
        this.repoRoot = repoRoot;
        this.dataDir = dataDir;
        this.network = network;
        this.log = log;
        this.messagingPrefix = "t2i-chaos-" + runId;
        this.poisonMarker = "chaos-poison-" + runId;
        this.s3Dir = dataDir.resolve("s3");
        this.s3Port = Ports.free();
    }

    static ChaosStack start(Path repoRoot, String runId, int seed, Consumer<String> log) throws Exception {
        // /tmp, not the repository: the postgres user must be able to reach the cluster's folder.
        Path dataDir = Files.createDirectories(Path.of("/tmp/t2i-chaos-" + runId));
        Files.setPosixFilePermissions(dataDir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        ChaosNetwork network = ChaosNetwork.create("tc" + runId.substring(0, 4), seed, log);
        ChaosStack stack = new ChaosStack(runId, repoRoot, dataDir, network, log);
        Runtime.getRuntime().addShutdownHook(stack.shutdownHook);
        try {
            stack.startServers();
            stack.startServices();
            return stack;
        } catch (Exception e) {
            stack.close();
            throw e;
        }
    }

    private void startServers() throws Exception {
        String address = network.gatewayAddress();
        String subnet = address.substring(0, address.lastIndexOf('.')) + ".0/24";
        postgres = PostgresCluster.start(dataDir.resolve("pg"), address, Ports.free(), subnet, log);
        database = postgres.createDatabase("t2i_chaos");
        rabbit = RabbitNode.listeningOn(dataDir.resolve("rabbit"), address, Ports.free()).start();
        log.accept("RabbitMQ node " + rabbit.nodeName() + " on " + address + ":" + rabbit.port());
        startS3();
    }

    void startS3() throws Exception {
        s3 = EmbeddedS3.start(s3Dir, network.gatewayAddress(), s3Port, S3_ACCESS_KEY, s3SecretKey);
        log.accept("S3Proxy on " + s3.endpoint().endpoint());
    }

    void stopS3() throws Exception {
        EmbeddedS3 running = s3;
        s3 = null;
        if (running != null) {
            running.close();
        }
    }

    /** The folder of the bucket's objects (S3Proxy's filesystem back end): what the checks list. */
    Path bucketDir() {
        return s3Dir.resolve(BUCKET);
    }

    private void startServices() throws Exception {
        HostedService storage = add("storage", ServiceKind.STORAGE_ADAPTER);
        storage.start();
        storage.awaitReady(Duration.ofMinutes(3));
        List<HostedService> rest = List.of(add("generator-a", ServiceKind.GENERATOR), add("generator-b",
                ServiceKind.GENERATOR), add("gateway-a", ServiceKind.GATEWAY), add("gateway-b", ServiceKind.GATEWAY));
        for (HostedService service : rest) {
            service.start();
        }
        for (HostedService service : rest) {
            service.awaitReady(Duration.ofMinutes(5));
            log.accept(service.name() + " ready on " + service.baseUri() + " (host " + service.host().namespace() + ")");
        }
    }

    private HostedService add(String name, ServiceKind kind) throws IOException, InterruptedException {
        ChaosNetwork.Host host = network.addHost(name);
        Map<String, String> properties = new LinkedHashMap<>();
        Map<String, String> environment = new HashMap<>();
        properties.put("quarkus.devservices.enabled", "false");
        properties.put("t2i.messaging.prefix", messagingPrefix);
        properties.put("rabbitmq-host", rabbit.host());
        properties.put("rabbitmq-port", Integer.toString(rabbit.port()));
        properties.put("rabbitmq-username", "guest");
        environment.put("RABBITMQ_PASSWORD", "guest");
        switch (kind) {
            case GATEWAY -> {
                properties.put("quarkus.datasource.username", database.user());
                properties.put("quarkus.datasource.reactive.url", database.reactiveUrl());
                properties.put("quarkus.datasource.jdbc.url", database.jdbcUrl());
                properties.put("t2i.storage-adapter.url", services.get("storage").baseUri().toString());
                properties.put("t2i.gateway.sse-heartbeat", "PT2S");
                properties.put("quarkus.rest-client.storage-adapter.read-timeout", "30000");
                environment.put("QUARKUS_DATASOURCE_PASSWORD", database.password());
                environment.put("T2I_STORAGE_ADAPTER_TOKEN", storageToken);
                environment.put("T2I_GATEWAY_WEBHOOKS_SECRET", "whsec_" + Base64.getEncoder().encodeToString(
                        random(32).getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
                environment.put("T2I_GATEWAY_AUTH_SECRET", "chaos-" + runId + "-auth-secret-" + runId);
                environment.put("T2I_GATEWAY_AUTH_BOOTSTRAP_ADMIN_KEY", adminKey);
                // Every job is the admin's: the per-owner defaults would refuse the suite's bursts.
                environment.put("T2I_GATEWAY_QUOTAS_MAX_ACTIVE_JOBS", "100000");
                environment.put("T2I_GATEWAY_QUOTAS_SUBMISSIONS_PER_MINUTE", "1000000");
                environment.put("T2I_GATEWAY_QUOTAS_IMAGES_PER_DAY", "1000000");
            }
            case STORAGE_ADAPTER -> {
                String endpoint = "http://" + network.gatewayAddress() + ":" + s3Port;
                properties.put("t2i.storage.endpoint", endpoint);
                properties.put("t2i.storage.public-endpoint", endpoint);
                properties.put("t2i.storage.access-key", S3_ACCESS_KEY);
                properties.put("t2i.storage.region", "us-east-1");
                environment.put("T2I_STORAGE_SECRET_KEY", s3SecretKey);
                environment.put("T2I_STORAGE_GATEWAY_TOKENS", storageToken);
            }
            case GENERATOR -> {
                properties.put("t2i.generator.model", repoRoot.resolve("testdata/sd-reference/model").toString());
                properties.put("t2i.generator.model-revision", "main");
                properties.put("t2i.generator.worker-id", name + "@chaos-" + runId);
                // The poison switch is honoured only in the test profile (PoisonSwitch): these generators are test ones.
                properties.put("quarkus.profile", "test");
                properties.put("t2i.generator.test-only.poison-prompt", java.util.regex.Pattern.quote(poisonMarker));
            }
        }
        HostedService service = new HostedService(name, kind, host, repoRoot, properties, environment,
                dataDir.resolve("logs"));
        services.put(name, service);
        return service;
    }

    HostedService service(String name) {
        return services.get(name);
    }

    List<HostedService> gateways() {
        return services.values().stream().filter(s -> s.kind() == ServiceKind.GATEWAY).toList();
    }

    List<HostedService> generators() {
        return services.values().stream().filter(s -> s.kind() == ServiceKind.GENERATOR).toList();
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        List<HostedService> running = new ArrayList<>(services.values());
        java.util.Collections.reverse(running);
        running.parallelStream().forEach(service -> {
            try {
                service.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        try {
            stopS3();
        } catch (Exception e) {
            log.accept("S3Proxy did not stop: " + e);
        }
        if (rabbit != null) {
            rabbit.close();
        }
        if (postgres != null) {
            postgres.close();
        }
        network.close();
        keepLogsAndDeleteData();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException alreadyShuttingDown) {
            // called from the hook itself
        }
    }

    /** Where the services' and servers' logs are kept after the run: {@code e2e-tests/target/chaos/<run>/}. */
    Path keptLogs() {
        return repoRoot.resolve("e2e-tests/target/chaos/" + runId);
    }

    /** The logs go to {@link #keptLogs()}; the rest (database, broker, bucket) goes with the run. */
    private void keepLogsAndDeleteData() {
        try {
            Path kept = Files.createDirectories(keptLogs());
            List<Path> logs = new ArrayList<>();
            Path serviceLogs = dataDir.resolve("logs");
            if (Files.isDirectory(serviceLogs)) {
                try (var files = Files.list(serviceLogs)) {
                    logs.addAll(files.toList());
                }
            }
            logs.add(dataDir.resolve("pg/server.log"));
            if (rabbit != null) {
                logs.add(rabbit.nodeLog());
            }
            for (Path file : logs) {
                if (Files.isRegularFile(file)) {
                    Files.copy(file, kept.resolve(file.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
            try (var tree = Files.walk(dataDir)) {
                for (Path path : tree.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(path);
                }
            }
        } catch (IOException | RuntimeException e) {
            log.accept("could not keep the logs / delete " + dataDir + ": " + e);
        }
    }

    private static String random(int bytes) {
        byte[] value = new byte[bytes];
        new SecureRandom().nextBytes(value);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(value);
    }
}
