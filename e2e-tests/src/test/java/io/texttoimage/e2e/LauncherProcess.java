package io.texttoimage.e2e;

import io.texttoimage.localstack.infra.Databases;
import io.texttoimage.localstack.infra.Endpoints;
import io.texttoimage.localstack.service.StackNames;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * README command 1 as a user runs it: the packaged launcher ({@code java -jar local-stack/target/local-stack.jar},
 * what bin/text-to-image execs) as its own process, with its standard output and error read line by line.
 */
final class LauncherProcess implements AutoCloseable {
    static final Path LAUNCHER = E2eStack.REPO_ROOT.resolve("local-stack/target/local-stack.jar");
    private static final Pattern GATEWAY_LINE = Pattern.compile("started gateway \\(pid \\d+\\) on (http://\\S+),");
    private static final Pattern JOB_LINE = Pattern.compile("job ([0-9a-f-]{36}) queued");

    private final ProcessBuilder builder;
    private final Path dataDir;
    private final List<String> lines = new ArrayList<>();
    private Process process;
    private Thread reader;

    private LauncherProcess(ProcessBuilder builder, Path dataDir) {
        this.builder = builder;
        this.dataDir = dataDir;
    }

    /** A fresh data folder under target/ (readable by the user the embedded PostgreSQL runs as). */
    static Path freshDataDir() throws IOException {
        return Files.createDirectories(E2eStack.REPO_ROOT.resolve("e2e-tests/target/launcher-data/"
                + UUID.randomUUID().toString().substring(0, 8)));
    }

    static LauncherProcess start(Path dataDir, Map<String, String> env, String... args) throws IOException {
        LauncherProcess launcher = prepare(dataDir, env, args);
        launcher.start();
        return launcher;
    }

    void start() throws IOException {
        process = builder.start();
        reader = Thread.ofPlatform().daemon().name("launcher-output").start(this::readOutput);
    }

    /** A launcher to {@link #start()} later. */
    static LauncherProcess prepare(Path dataDir, Map<String, String> env, String... args) {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--sun-misc-unsafe-memory-access=allow", "-Dt2i.repo.root=" + E2eStack.REPO_ROOT, "-jar", LAUNCHER.toString()));
        command.addAll(List.of(args));
        command.addAll(List.of("--data-dir", dataDir.toString()));
        ProcessBuilder builder = new ProcessBuilder(command).directory(dataDir.toFile()).redirectErrorStream(true);
        builder.environment().put("T2I_SKIP_BUILD", "1");
        builder.environment().put("T2I_SERVICE_JAVA_OPTS", String.join(" ", TestStacks.SERVICE_JVM_OPTIONS));
        // Its keys in its own data folder: the checkout's .t2i/ is the developer's, and two launchers would share it.
        builder.environment().put("T2I_KEY_DIR", keyDir(dataDir).toString());
        builder.environment().putAll(env);
        return new LauncherProcess(builder, dataDir);
    }

    private void readOutput() {
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                System.out.println("[launcher " + dataDir.getFileName() + "] " + line);
                synchronized (lines) {
                    lines.add(line);
                    lines.notifyAll();
                }
            }
        } catch (IOException ignored) {
            // the process is gone
        }
    }

    /** Waits for a line that matches; fails with the whole output if none comes in time or the launcher exits. */
    String awaitLine(Predicate<String> wanted, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lines) {
            int seen = 0;
            while (true) {
                for (; seen < lines.size(); seen++) {
                    if (wanted.test(lines.get(seen))) {
                        return lines.get(seen);
                    }
                }
                long left = deadline - System.nanoTime();
                if (left <= 0 || (!process.isAlive() && seen == lines.size())) {
                    throw new AssertionError("the launcher printed no such line (" + (process.isAlive() ? "still running"
                            : "exit " + process.exitValue()) + "):\n" + output());
                }
                lines.wait(Math.min(TimeUnit.NANOSECONDS.toMillis(left) + 1, 500));
            }
        }
    }

    int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
            throw new AssertionError("the launcher did not exit within " + timeout.toSeconds() + " s:\n" + output());
        }
        reader.join(Duration.ofSeconds(30)); // the last lines may still be in the pipe
        return process.exitValue();
    }

    /**
     * SIGTERM, what Ctrl-C (SIGINT) also does to the JVM: shutdown hooks run. Through the ProcessHandle, because
     * Process.destroy() also closes our end of the output pipe, and what the launcher says while stopping is lost.
     */
    void terminate() {
        process.toHandle().destroy();
    }

    String output() {
        synchronized (lines) {
            return String.join("\n", lines);
        }
    }

    URI gatewayUri() throws InterruptedException {
        return URI.create(group(GATEWAY_LINE, awaitLine(line -> GATEWAY_LINE.matcher(line).find(), Duration.ofMinutes(5))));
    }

    static Path keyDir(Path dataDir) {
        return dataDir.resolve(".t2i");
    }

    Path keyDir() {
        return keyDir(dataDir);
    }

    /** The run's API key, once the launcher said it wrote it (to {@code <data>/.t2i/api-key}). */
    String apiKey() throws InterruptedException, IOException {
        awaitLine(line -> line.contains(KEY_LINE), Duration.ofMinutes(5));
        return Files.readString(keyDir().resolve("api-key")).strip();
    }

    /** What the launcher says once it made the run's API key. */
    static final String KEY_LINE = "created the API key \"local-run\" for this run in ";

    String jobId(Duration timeout) throws InterruptedException {
        return group(JOB_LINE, awaitLine(line -> JOB_LINE.matcher(line).find(), timeout));
    }

    private static String group(Pattern pattern, String line) {
        Matcher matcher = pattern.matcher(line);
        if (!matcher.find()) {
            throw new AssertionError(line);
        }
        return matcher.group(1);
    }

    /** The launcher used the machine's PostgreSQL/RabbitMQ: drop its database and durable names from them. */
    void dropSharedNames() throws Exception {
        StackNames names = StackNames.of(dataDir);
        String output = output();
        if (output.contains("PostgreSQL: PostgreSQL already running on 127.0.0.1:5432")) {
            Databases.drop(new Endpoints.Postgres("127.0.0.1", 5432, names.database(), "postgres", "", "machine"));
        }
        if (output.contains("AMQP broker: RabbitMQ already running on 127.0.0.1:5672")) {
            BrokerNames.deleteDurable(new Endpoints.Amqp("127.0.0.1", 5672, "guest", "guest", "machine"), names.messagingPrefix());
        }
    }

    /** Stops the launcher if it still runs (SIGTERM, then SIGKILL after a minute). */
    @Override
    public void close() throws InterruptedException {
        if (process != null && process.isAlive()) {
            terminate();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }
}
