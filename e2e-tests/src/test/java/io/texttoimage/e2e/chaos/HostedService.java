package io.texttoimage.e2e.chaos;

import io.texttoimage.e2e.TestStacks;
import io.texttoimage.localstack.infra.LogTail;
import io.texttoimage.localstack.service.ServiceKind;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One packaged service ({@code quarkus-run.jar}) running on its own host: {@code ip netns exec <ns> java …}, listening
 * on the host's bridge address (the local stack's {@code ServiceProcess} binds 127.0.0.1 and cannot enter a
 * namespace). It can be SIGKILLed and started again with the same settings, log appended.
 */
final class HostedService implements AutoCloseable {
    static final int PORT = 8080;
    static final int MANAGEMENT_PORT = 9000;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final String name;
    private final ServiceKind kind;
    private final ChaosNetwork.Host host;
    private final Path jar;
    private final Map<String, String> properties;
    private final Map<String, String> environment;
    private final Path logFile;
    private volatile Process process;
    private int starts;

    HostedService(String name, ServiceKind kind, ChaosNetwork.Host host, Path repoRoot, Map<String, String> properties,
                  Map<String, String> environment, Path logDir) {
        this.name = name;
        this.kind = kind;
        this.host = host;
        this.jar = kind.runJar(repoRoot);
        this.properties = properties;
        this.environment = environment;
        this.logFile = logDir.resolve(name + ".log");
    }

    String name() {
        return name;
    }

    ServiceKind kind() {
        return kind;
    }

    ChaosNetwork.Host host() {
        return host;
    }

    URI baseUri() {
        return URI.create("http://" + host.address() + ":" + PORT);
    }

    Path logFile() {
        return logFile;
    }

    long pid() {
        return process == null ? -1 : process.pid();
    }

    boolean isAlive() {
        return process != null && process.isAlive();
    }

    int starts() {
        return starts;
    }

    /**
     * Launches it (not yet ready: {@link #awaitReady}); nothing when it is running already (a fault and the
     * supervisor may both decide to start it: two processes of one service would be one too many).
     */
    synchronized void start() throws IOException {
        if (isAlive()) {
            return;
        }
        Files.createDirectories(logFile.getParent());
        Files.writeString(logFile, "==== " + Instant.now() + " starting " + name + " on " + baseUri() + " ====\n",
                StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        List<String> command = new ArrayList<>(ChaosNetwork.inNamespace(host));
        // nice/ionice: the suite shares a small machine with other work; the services yield to it.
        command.addAll(List.of("nice", "-n", "19", "ionice", "-c", "3"));
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(TestStacks.SERVICE_JVM_OPTIONS);
        properties.forEach((key, value) -> command.add("-D" + key + "=" + value));
        command.add("-Dquarkus.http.host=" + host.address());
        command.add("-Dquarkus.http.port=" + PORT);
        command.add("-Dquarkus.management.host=" + host.address());
        command.add("-Dquarkus.management.port=" + MANAGEMENT_PORT);
        command.add("-jar");
        command.add(jar.toString());
        ProcessBuilder builder = new ProcessBuilder(command).directory(jar.getParent().toFile())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
        builder.environment().putAll(environment);
        process = builder.start();
        starts++;
    }

    /** Polls {@code /q/health/ready} on the host's management port until 200. */
    void awaitReady(Duration timeout) throws IOException, InterruptedException {
        Instant deadline = Instant.now().plus(timeout);
        HttpRequest ready = HttpRequest.newBuilder(URI.create("http://" + host.address() + ":" + MANAGEMENT_PORT
                + "/q/health/ready")).timeout(Duration.ofSeconds(5)).build();
        while (true) {
            Process current = process;
            if (!current.isAlive()) {
                throw new IOException(name + " exited with " + current.exitValue() + " while starting; the end of "
                        + logFile + ":\n" + LogTail.of(logFile, 25));
            }
            try {
                if (HTTP.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            if (Instant.now().isAfter(deadline)) {
                throw new IOException(name + " was not ready within " + timeout.toSeconds() + " s; the end of " + logFile
                        + ":\n" + LogTail.of(logFile, 25));
            }
            Thread.sleep(250);
        }
    }

    /** SIGKILL: no shutdown hook, nothing acknowledged or handed back. */
    synchronized void kill9() throws InterruptedException {
        Process current = process;
        if (current != null) {
            current.destroyForcibly();
            current.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** The exit status once it ended by itself (a poisoned worker), else null. */
    Integer exitStatus() {
        Process current = process;
        return current == null || current.isAlive() ? null : current.exitValue();
    }

    /** SIGTERM, SIGKILL after 20 s. */
    @Override
    public void close() throws InterruptedException {
        Process current = process;
        if (current != null && current.isAlive()) {
            current.destroy();
            if (!current.waitFor(20, TimeUnit.SECONDS)) {
                current.destroyForcibly();
                current.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
