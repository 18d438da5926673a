package io.texttoimage.localstack.service;

import io.texttoimage.localstack.infra.LogTail;

import java.io.IOException;
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
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * One service running as a child JVM ({@code java -jar quarkus-run.jar}) with its output appended to a log file
 * and its pid written to a file, so a later run can clean up after a launcher that was killed.
 */
public final class ServiceProcess implements AutoCloseable {
    private static final Duration GRACEFUL_STOP = Duration.ofSeconds(30);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final String name;
    private final ServiceKind kind;
    private final Process process;
    private final int port;
    private final int managementPort;
    private final Path logFile;
    private final Path pidFile;

    private ServiceProcess(String name, ServiceKind kind, Process process, int port, int managementPort, Path logFile,
                           Path pidFile) {
        this.name = name;
        this.kind = kind;
        this.process = process;
        this.port = port;
        this.managementPort = managementPort;
        this.logFile = logFile;
        this.pidFile = pidFile;
    }

    /**
     * @param properties system properties ({@code -Dkey=value}): visible in {@code ps}, so no secrets here
     * @param secrets    environment variables for passwords and keys (MicroProfile names, e.g. RABBITMQ_PASSWORD)
     */
    public static ServiceProcess start(String name, ServiceKind kind, Path jar, int port, int managementPort,
                                       List<String> jvmOptions,
                                       Map<String, String> properties, Map<String, String> secrets, Path logDir,
                                       Path runDir) throws IOException {
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " does not exist: build it with ./mvnw -B -pl " + kind.module()
                    + " -am install -DskipTests");
        }
        Files.createDirectories(logDir);
        Files.createDirectories(runDir);
        Path logFile = logDir.resolve(name + ".log");
        Files.writeString(logFile, "==== " + Instant.now() + " starting " + name + " on port " + port
                        + " (management " + managementPort + ") ====\n",
                StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);

        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        properties.forEach((key, value) -> command.add("-D" + key + "=" + value));
        command.add("-Dquarkus.http.port=" + port);
        command.add("-Dquarkus.management.port=" + managementPort);
        command.add("-jar");
        command.add(jar.toString());

        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(jar.getParent().toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
        builder.environment().putAll(secrets);
        Process process = builder.start();
        Path pidFile = runDir.resolve(name + ".pid");
        Files.writeString(pidFile, Long.toString(process.pid()));
        return new ServiceProcess(name, kind, process, port, managementPort, logFile, pidFile);
    }

    public String name() {
        return name;
    }

    public ServiceKind kind() {
        return kind;
    }

    public int port() {
        return port;
    }

    public URI baseUri() {
        return URI.create("http://127.0.0.1:" + port);
    }

    /** Health and metrics ({@code /q/health}, {@code /q/metrics}): the management interface, not the API port. */
    public URI managementUri() {
        return URI.create("http://127.0.0.1:" + managementPort);
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public Path logFile() {
        return logFile;
    }

    /**
     * Polls {@code /q/health/ready} until it answers 200. Fails fast, with the end of the log, if the process exits,
     * and with the service's own sentence ({@link ServiceFailedException}) if it reports a failure that is final.
     * {@code waiting} is told every {@code reportEvery} what the service last logged (a model download can be long).
     */
    public void awaitReady(Duration timeout, Duration reportEvery, Consumer<String> waiting)
            throws IOException, InterruptedException {
        awaitReady(timeout, reportEvery, waiting, () -> false);
    }

    /** As {@link #awaitReady(Duration, Duration, Consumer)}; returns quietly once {@code abandoned} says so. */
    public void awaitReady(Duration timeout, Duration reportEvery, Consumer<String> waiting, BooleanSupplier abandoned)
            throws IOException, InterruptedException {
        Instant deadline = Instant.now().plus(timeout);
        Instant nextReport = Instant.now().plus(reportEvery);
        HttpRequest ready = HttpRequest.newBuilder(managementUri().resolve("/q/health/ready")).timeout(Duration.ofSeconds(5)).build();
        while (!abandoned.getAsBoolean()) {
            if (!process.isAlive()) {
                throw new IOException(name + " exited with code " + process.exitValue() + " while starting; the end of "
                        + logFile + ":\n" + LogTail.of(logFile, 25));
            }
            if (isReady(ready)) {
                return;
            }
            if (Instant.now().isAfter(deadline)) {
                throw new IOException(name + " was not ready within " + timeout.toSeconds() + " s; the end of " + logFile
                        + ":\n" + LogTail.of(logFile, 25));
            }
            if (Instant.now().isAfter(nextReport)) {
                waiting.accept("still waiting for " + name + ", its last log line: " + LogTail.lastLine(logFile, ServiceProcess::isWorthShowing));
                nextReport = Instant.now().plus(reportEvery);
            }
            Thread.sleep(250);
        }
    }

    /** 200 is ready; a 503 whose checks say the failure is final ends the wait. */
    private boolean isReady(HttpRequest ready) throws IOException, InterruptedException {
        HttpResponse<String> response;
        try {
            response = HTTP.send(ready, HttpResponse.BodyHandlers.ofString());
        } catch (IOException notListeningYet) {
            return false;
        }
        if (response.statusCode() == 200) {
            return true;
        }
        Optional<HealthReport.FinalFailure> failure = HealthReport.finalFailure(response.body());
        if (failure.isPresent()) {
            throw new ServiceFailedException(name, failure.get().message(), failure.get().reason());
        }
        return false;
    }

    /** SmallRye Health logs every DOWN answer as a long JSON line: not what a waiting user wants to read. */
    private static boolean isWorthShowing(String line) {
        return !line.isBlank() && !line.contains("SRHCK01001") && !line.startsWith("====");
    }

    /** SIGKILL, no shutdown hooks: what a crashed node or an OOM kill looks like to the rest of the system. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
        deletePidFile();
    }

    /** SIGTERM (Quarkus shuts down gracefully), then SIGKILL if it takes longer than 30 s. */
    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(GRACEFUL_STOP.toSeconds(), TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        }
        deletePidFile();
    }

    private void deletePidFile() {
        try {
            Files.deleteIfExists(pidFile);
        } catch (IOException ignored) {
            // a stale pid file is checked against the live process table before it is trusted
        }
    }
}
