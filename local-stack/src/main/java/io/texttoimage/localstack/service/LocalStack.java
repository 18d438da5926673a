package io.texttoimage.localstack.service;

import io.texttoimage.localstack.infra.Endpoints;
import io.texttoimage.localstack.infra.Infrastructure;
import io.texttoimage.localstack.infra.Ports;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * The whole system on one machine: the servers ({@link Infrastructure}) and the services as child processes,
 * configured with the agreed keys (docs/local-stack.md). Closing stops the services, then what the
 * infrastructure started, then releases the data folder.
 */
public final class LocalStack implements AutoCloseable {

    /**
     * @param repoRoot            where {@code <module>/target/quarkus-app/quarkus-run.jar} are
     * @param dataDir             the one folder for logs, pid files and embedded servers' data
     * @param infrastructure      how to find or start PostgreSQL, the broker and S3
     * @param messagingPrefix     {@code t2i.messaging.prefix}: exchange and queue names start with it
     * @param model               {@code t2i.generator.model}: a local folder or a Hugging Face repo id
     * @param modelRevision       {@code t2i.generator.model-revision}
     * @param preferDefaultPorts  8080/8081/8082 when free (the quick start), else any free port (tests)
     * @param extraProperties     more settings per service kind (e.g. for tests): system properties, except keys
     *                            written as environment variables ({@code T2I_GATEWAY_QUOTAS_ENABLED}), which go
     *                            into the service's environment: a service ignores a variable it has no setting
     *                            for, while an unknown {@code -Dt2i.gateway.…} stops the gateway (SRCFG00050)
     * @param readyTimeout        how long the gateway and storage adapter may take to be ready
     * @param generatorReadyTimeout how long the generator may take (it may download a model first)
     * @param jvmOptions          extra options for every service JVM (e.g. -Xmx, -XX:TieredStopAtLevel=1)
     * @param keyDir              where the run's admin key and API key are written ({@value #ADMIN_KEY_FILE},
     *                            {@value #API_KEY_FILE}; folder 0700, files 0600) for bin/t2i and the user, or null:
     *                            kept in memory only ({@link #apiKey()}, {@link #adminKey()})
     */
    public record Options(Path repoRoot, Path dataDir, Infrastructure.Options infrastructure, String messagingPrefix,
                          String model, String modelRevision, boolean preferDefaultPorts,
                          Map<ServiceKind, Map<String, String>> extraProperties, Duration readyTimeout,
                          Duration generatorReadyTimeout, List<String> jvmOptions, Path keyDir) {

        /** Options whose keys are not written anywhere (tests and benchmarks use {@link #apiKey()}). */
        public Options(Path repoRoot, Path dataDir, Infrastructure.Options infrastructure, String messagingPrefix,
                       String model, String modelRevision, boolean preferDefaultPorts,
                       Map<ServiceKind, Map<String, String>> extraProperties, Duration readyTimeout,
                       Duration generatorReadyTimeout, List<String> jvmOptions) {
            this(repoRoot, dataDir, infrastructure, messagingPrefix, model, modelRevision, preferDefaultPorts,
                    extraProperties, readyTimeout, generatorReadyTimeout, jvmOptions, null);
        }
    }

    /** The files in {@link Options#keyDir()}: named by the reader, bin/t2i ({@code cli.ApiKey}), so they cannot drift. */
    public static final String ADMIN_KEY_FILE = io.texttoimage.cli.ApiKey.ADMIN_KEY_FILE;
    public static final String API_KEY_FILE = io.texttoimage.cli.ApiKey.KEY_FILE;
    /** The name of the API key every run creates for itself (and its jobs' owner). */
    public static final String RUN_KEY_NAME = "local-run";

    private final Options options;
    private final Consumer<String> log;
    private final DataDirLock lock;
    private final Infrastructure infrastructure;
    private final List<ServiceProcess> services = Collections.synchronizedList(new ArrayList<>());
    /** Every secret value handed to a service (environment only), so a test can check that no log shows one. */
    private final Set<String> secretValues = ConcurrentHashMap.newKeySet();
    /** What this stack's gateways send the storage adapter and it accepts: random per run, never written to disk. */
    private final String storageAdapterToken = randomToken();
    /**
     * The gateways' bootstrap admin key: random per run, in their environment only (and in the admin key file, when
     * the stack has a key folder). Their HMAC secret for API keys and stream tokens is kept in the data folder
     * instead ({@link #authSecret()}): the API keys in the database stay valid across runs on it.
     */
    private final String bootstrapAdminKey = "t2i_" + base64Url(32);
    /** The API key "local-run", made through the admin API once the first gateway is ready. */
    private volatile String apiKey;
    private volatile boolean closed;

    private LocalStack(Options options, Consumer<String> log, DataDirLock lock, Infrastructure infrastructure) {
        this.options = options;
        this.log = log;
        this.lock = lock;
        this.infrastructure = infrastructure;
    }

    /** Starts the servers only; add services with {@link #startService}. */
    public static LocalStack startInfrastructure(Options options, Consumer<String> log) throws Exception {
        DataDirLock lock = DataDirLock.acquire(options.dataDir());
        try {
            DataDirLock.stopLeftovers(options.dataDir().resolve("run"), log);
            Infrastructure infrastructure = Infrastructure.start(options.infrastructure(), log);
            LocalStack stack = new LocalStack(options, log, lock, infrastructure);
            stack.writeAdminKeyFile();
            return stack;
        } catch (Exception e) {
            lock.close();
            throw e;
        }
    }

    /** Servers plus one storage adapter, one generator and one gateway, all ready. */
    public static LocalStack start(Options options, Consumer<String> log) throws Exception {
        LocalStack stack = startInfrastructure(options, log);
        try {
            stack.startOneOfEachService();
            return stack;
        } catch (Exception e) {
            stack.close();
            throw e;
        }
    }

    /** One storage adapter, one generator and one gateway, and waits until all three are ready. */
    public void startOneOfEachService() throws Exception {
        ServiceProcess storage = startService(ServiceKind.STORAGE_ADAPTER, "storage-adapter");
        ServiceProcess generator = startService(ServiceKind.GENERATOR, "generator");
        ServiceProcess gateway = startService(ServiceKind.GATEWAY, "gateway");
        awaitReady(List.of(storage, gateway, generator));
    }

    public Infrastructure infrastructure() {
        return infrastructure;
    }

    public Options options() {
        return options;
    }

    public List<ServiceProcess> services() {
        synchronized (services) {
            return List.copyOf(services);
        }
    }

    /** The passwords, keys and tokens this stack gave its services (through their environment). */
    public Set<String> secretValues() {
        return Set.copyOf(secretValues);
    }

    public ServiceProcess first(ServiceKind kind) {
        return services().stream().filter(s -> s.kind() == kind).findFirst()
                .orElseThrow(() -> new IllegalStateException("no " + kind.module() + " was started"));
    }

    public URI gatewayUri() {
        return first(ServiceKind.GATEWAY).baseUri();
    }

    /**
     * The run's API key ("local-run", owner "local-run"), made once a gateway was ready; null before that and when
     * the gateways run with authentication off ({@code t2i.gateway.auth.enabled=false}).
     */
    public String apiKey() {
        return apiKey;
    }

    /** The gateways' bootstrap admin key (owner "admin"); for {@code /admin/**}, and to see every owner's jobs. */
    public String adminKey() {
        return bootstrapAdminKey;
    }

    /** A client of the first gateway that sends the run's API key. */
    public io.texttoimage.localstack.client.GatewayClient gatewayClient() {
        return new io.texttoimage.localstack.client.GatewayClient(gatewayUri(), apiKey);
    }

    /** {@code <keyDir>/api-key}, where the run's API key was written; empty when the options name no folder. */
    public java.util.Optional<Path> apiKeyFile() {
        return java.util.Optional.ofNullable(options.keyDir()).map(dir -> dir.resolve(API_KEY_FILE));
    }

    /** {@code <keyDir>/admin-key}; empty when the options name no folder. */
    public java.util.Optional<Path> adminKeyFile() {
        return java.util.Optional.ofNullable(options.keyDir()).map(dir -> dir.resolve(ADMIN_KEY_FILE));
    }

    /**
     * False when the gateways run with authentication off: set in their extra settings, or in the environment they
     * inherit from this process.
     */
    public boolean authEnabled() {
        Map<String, String> gateway = options.extraProperties().getOrDefault(ServiceKind.GATEWAY, Map.of());
        String inherited = options.infrastructure().env().getOrDefault("T2I_GATEWAY_AUTH_ENABLED", "true");
        String enabled = gateway.getOrDefault("t2i.gateway.auth.enabled",
                gateway.getOrDefault("T2I_GATEWAY_AUTH_ENABLED", inherited));
        return !"false".equalsIgnoreCase(enabled.trim());
    }

    /** {@code T2I_GATEWAY_QUOTAS_ENABLED} is an environment variable's name; {@code t2i.gateway.quotas.enabled} is not. */
    static boolean isEnvironmentName(String key) {
        return key.matches("[A-Z][A-Z0-9_]*");
    }

    /** Launches one instance (not yet ready: see {@link #awaitReady}). The gateway talks to the first storage adapter. */
    public ServiceProcess startService(ServiceKind kind, String instanceName) throws IOException {
        int port = options.preferDefaultPorts() ? Ports.preferred(kind.defaultPort()) : Ports.free();
        int managementPort = options.preferDefaultPorts() ? Ports.preferred(kind.defaultManagementPort()) : Ports.free();
        Map<String, String> properties = new LinkedHashMap<>(commonProperties());
        Map<String, String> secrets = new HashMap<>();
        secrets.put("RABBITMQ_PASSWORD", infrastructure.amqp().password());
        switch (kind) {
            case GATEWAY -> gatewayProperties(properties, secrets);
            case STORAGE_ADAPTER -> storageProperties(properties, secrets);
            case GENERATOR -> generatorProperties(properties, instanceName);
        }
        Map<String, String> environment = new HashMap<>();
        options.extraProperties().getOrDefault(kind, Map.of()).forEach((key, value) ->
                (isEnvironmentName(key) ? environment : properties).put(key, value));
        secretValues.addAll(secrets.values());
        environment.putAll(secrets);
        ServiceProcess process = ServiceProcess.start(instanceName, kind, kind.runJar(options.repoRoot()), port, managementPort,
                options.jvmOptions(), properties, environment, options.dataDir().resolve("logs"), options.dataDir().resolve("run"));
        services.add(process);
        log.accept("started " + instanceName + " (pid " + process.pid() + ") on " + process.baseUri() + ", log "
                + process.logFile());
        return process;
    }

    /**
     * Waits for all of them in parallel; the generator gets the longer timeout because it loads the model. The first
     * failure ends the wait for all (a final one, such as a model that cannot be loaded, within a second).
     */
    public void awaitReady(List<ServiceProcess> processes) throws Exception {
        AtomicBoolean failed = new AtomicBoolean();
        CompletableFuture<Void> firstFailure = new CompletableFuture<>();
        // A thread per wait: the common pool may have fewer threads than services, and a failing one must not queue.
        Executor perWait = command -> Thread.ofPlatform().daemon().name("await-ready").start(command);
        List<CompletableFuture<Void>> waits = processes.stream()
                .map(process -> CompletableFuture.runAsync(() -> awaitOne(process, () -> failed.get() || closed), perWait))
                .map(wait -> wait.whenComplete((ignored, error) -> {
                    if (error != null && failed.compareAndSet(false, true)) {
                        firstFailure.completeExceptionally(error);
                    }
                })).toList();
        try {
            CompletableFuture.anyOf(CompletableFuture.allOf(waits.toArray(CompletableFuture[]::new)), firstFailure).join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
        if (closed) {
            throw new java.util.concurrent.CancellationException("the stack was stopped while it was starting");
        }
        java.util.Optional<ServiceProcess> gateway = processes.stream().filter(p -> p.kind() == ServiceKind.GATEWAY).findFirst();
        if (gateway.isPresent() && apiKey == null && authEnabled()) {
            createRunKey(gateway.get());
        }
    }

    /**
     * Makes the API key "local-run" through the admin API (all gateways share the database and the secret, so it
     * works on each), keeps it among the secrets, and writes it next to the admin key when the options name a folder.
     */
    private synchronized void createRunKey(ServiceProcess gateway) throws IOException, InterruptedException {
        if (apiKey != null) {
            return;
        }
        io.texttoimage.localstack.client.GatewayClient admin =
                new io.texttoimage.localstack.client.GatewayClient(gateway.baseUri(), bootstrapAdminKey);
        com.fasterxml.jackson.databind.JsonNode created = admin.createApiKey(RUN_KEY_NAME);
        String key = created.path("key").asText(null);
        if (key == null || key.isBlank()) {
            throw new IOException("POST /admin/api-keys on " + gateway.name() + " answered without a key: " + created.path("id"));
        }
        secretValues.add(key);
        apiKey = key;
        revokeEarlierRunKeys(admin, created.path("id").asText());
        java.util.Optional<Path> file = apiKeyFile();
        if (file.isPresent()) {
            writeOwnerOnly(file.get(), key);
            log.accept("created the API key \"" + RUN_KEY_NAME + "\" for this run in " + file.get()
                    + " (bin/t2i uses it; the admin key is in " + adminKeyFile().orElseThrow() + ")");
        } else {
            log.accept("created the API key \"" + RUN_KEY_NAME + "\" for this run (id " + created.path("id").asText() + ")");
        }
    }

    /**
     * The "local-run" keys of earlier runs on this database: revoked, so that only this run's is active (each run
     * makes its own and forgets the last). Their jobs stay the owner's, which this run's key shares.
     */
    private void revokeEarlierRunKeys(io.texttoimage.localstack.client.GatewayClient admin, String currentId)
            throws IOException, InterruptedException {
        for (com.fasterxml.jackson.databind.JsonNode key : admin.listApiKeys().path("items")) {
            if (key.path("name").asText().equals(RUN_KEY_NAME) && key.path("owner").asText().equals(RUN_KEY_NAME)
                    && key.path("revoked_at").isNull() && !key.path("id").asText().equals(currentId)) {
                admin.revokeApiKey(key.path("id").asText());
            }
        }
    }

    /** Writes {@code secret} to {@code file}, owner-only from the start (folder 0700, file 0600). */
    private static void writeOwnerOnly(Path file, String secret) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        try {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        } catch (UnsupportedOperationException e) {
            Files.createDirectories(dir); // not a POSIX file system: the folder's own permissions apply
        }
        writeOwnerOnlyFile(file, secret);
    }

    /** Writes {@code secret} to {@code file} (0600 from the start: never readable by others, not for a moment). */
    private static void writeOwnerOnlyFile(Path file, String secret) throws IOException {
        Files.deleteIfExists(file); // a file of an earlier run may have other permissions
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: the folder's own permissions apply
        }
        Files.writeString(file, secret + "\n");
    }

    private void awaitOne(ServiceProcess process, BooleanSupplier abandoned) {
        Duration timeout = process.kind() == ServiceKind.GENERATOR ? options.generatorReadyTimeout() : options.readyTimeout();
        try {
            process.awaitReady(timeout, Duration.ofSeconds(15), log, abandoned);
            if (!abandoned.getAsBoolean()) {
                log.accept(process.name() + " is ready");
            }
        } catch (IOException e) {
            throw new CompletionException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CompletionException(e);
        }
    }

    private Map<String, String> commonProperties() {
        Endpoints.Amqp amqp = infrastructure.amqp();
        Map<String, String> properties = new LinkedHashMap<>();
        properties.put("quarkus.http.host", "127.0.0.1");
        properties.put("quarkus.management.host", "127.0.0.1");
        properties.put("quarkus.devservices.enabled", "false");
        properties.put("t2i.messaging.prefix", options.messagingPrefix());
        properties.put("rabbitmq-host", amqp.host());
        properties.put("rabbitmq-port", Integer.toString(amqp.port()));
        properties.put("rabbitmq-username", amqp.user());
        return properties;
    }

    private void gatewayProperties(Map<String, String> properties, Map<String, String> secrets) throws IOException {
        Endpoints.Postgres postgres = infrastructure.postgres();
        properties.put("quarkus.datasource.username", postgres.user());
        properties.put("quarkus.datasource.reactive.url", postgres.reactiveUrl());
        properties.put("quarkus.datasource.jdbc.url", postgres.jdbcUrl());
        secrets.put("QUARKUS_DATASOURCE_PASSWORD", postgres.password());
        properties.put("t2i.storage-adapter.url", first(ServiceKind.STORAGE_ADAPTER).baseUri().toString());
        secrets.put("T2I_STORAGE_ADAPTER_TOKEN", storageAdapterToken);
        secrets.put("T2I_GATEWAY_WEBHOOKS_SECRET", webhookSecret());
        secrets.put("T2I_GATEWAY_AUTH_SECRET", authSecret());
        secrets.put("T2I_GATEWAY_AUTH_BOOTSTRAP_ADMIN_KEY", bootstrapAdminKey);
    }

    /**
     * The bootstrap admin key in the key folder, once per stack and before any gateway starts, so that
     * {@code bin/t2i admin} finds it (not rewritten for each gateway: a reader in between would find no file).
     */
    private void writeAdminKeyFile() throws IOException {
        java.util.Optional<Path> adminFile = adminKeyFile();
        if (adminFile.isPresent() && authEnabled()) {
            writeOwnerOnly(adminFile.get(), bootstrapAdminKey);
        }
    }

    /**
     * The secret webhook deliveries are signed with: the environment's {@code T2I_GATEWAY_WEBHOOKS_SECRET}, or one
     * made once and kept in the data folder ({@code webhook-secret}), so that a receiver set up with it keeps
     * verifying across restarts.
     */
    private String webhookSecret() throws IOException {
        return keptSecret("T2I_GATEWAY_WEBHOOKS_SECRET", "webhook-secret", "webhook signing secret", () -> {
            byte[] key = new byte[32];
            new SecureRandom().nextBytes(key);
            return "whsec_" + Base64.getEncoder().encodeToString(key);
        });
    }

    /**
     * The gateways' HMAC secret for API-key hashes and stream tokens: the environment's
     * {@code T2I_GATEWAY_AUTH_SECRET}, or one made once and kept in the data folder ({@code auth-secret}): a new one
     * per run would invalidate every API key made in an earlier run on the same database.
     */
    private String authSecret() throws IOException {
        return keptSecret("T2I_GATEWAY_AUTH_SECRET", "auth-secret", "API-key secret", () -> base64Url(32));
    }

    /** {@code variable} from the environment, else the content of {@code fileName} in the data folder, made once. */
    private synchronized String keptSecret(String variable, String fileName, String what,
                                           java.util.function.Supplier<String> make) throws IOException {
        String given = options.infrastructure().env().get(variable);
        if (given != null && !given.isBlank()) {
            return given;
        }
        Path file = options.dataDir().resolve(fileName);
        if (Files.isRegularFile(file)) {
            return Files.readString(file).trim();
        }
        String secret = make.get();
        writeOwnerOnlyFile(file, secret); // the data folder keeps its own permissions
        log.accept(what + " made and kept in " + file);
        return secret;
    }

    private void storageProperties(Map<String, String> properties, Map<String, String> secrets) {
        Endpoints.S3 s3 = infrastructure.s3();
        properties.put("t2i.storage.endpoint", s3.endpoint().toString());
        String publicEndpoint = options.infrastructure().env().get("T2I_STORAGE_PUBLIC_ENDPOINT");
        properties.put("t2i.storage.public-endpoint", publicEndpoint == null || publicEndpoint.isBlank()
                ? s3.endpoint().toString() : publicEndpoint);
        properties.put("t2i.storage.access-key", s3.accessKey());
        properties.put("t2i.storage.region", s3.region());
        secrets.put("T2I_STORAGE_SECRET_KEY", s3.secretKey());
        secrets.put("T2I_STORAGE_GATEWAY_TOKENS", storageAdapterToken);
    }

    private static String randomToken() {
        return base64Url(24);
    }

    private static String base64Url(int randomBytes) {
        byte[] bytes = new byte[randomBytes];
        new SecureRandom().nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    private void generatorProperties(Map<String, String> properties, String instanceName) {
        properties.put("t2i.generator.model", options.model());
        properties.put("t2i.generator.model-revision", options.modelRevision());
        properties.put("t2i.generator.worker-id", instanceName + "@" + ProcessHandle.current().pid());
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        List<ServiceProcess> running = new ArrayList<>(services());
        Collections.reverse(running); // gateways first, so no new work arrives while workers stop
        List<CompletableFuture<Void>> stops = running.stream().map(service -> CompletableFuture.runAsync(() -> {
            try {
                service.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        })).toList();
        stops.forEach(CompletableFuture::join);
        infrastructure.close();
        try {
            lock.close();
        } catch (IOException e) {
            log.accept("could not release the data folder lock: " + e.getMessage());
        }
    }
}
