package io.texttoimage.e2e.servers;

import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.texttoimage.localstack.infra.Endpoints;
import io.texttoimage.localstack.infra.Ports;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A private RabbitMQ node of its own, started from the machine's Debian binaries ({@code rabbitmq-server} 3.10 on
 * Erlang 25), so that a test may SIGKILL, stop and restart it without touching the system node on 5672.
 * <p>
 * Everything that would clash with the system node is its own: the node name ({@code t2i-<random>@localhost}), the
 * AMQP port, the Erlang distribution port (the system node holds 25672), the data and log folders under
 * {@code dir}, the configuration files (the system's {@code /etc/rabbitmq/rabbitmq-env.conf} would force
 * {@code NODENAME=rabbit@localhost}), an empty plugin list (no management plugin on 15672) and {@code HOME}, so its
 * Erlang cookie is {@code dir/.erlang.cookie} (to run {@code rabbitmqctl -n <node>} against it, set the same
 * {@code HOME}). epmd (4369) is shared with the system node, which is harmless: each node registers its own name.
 * <p>
 * {@link #restart()} keeps the data folder: durable queues and persistent messages survive a {@link #kill9()}, as
 * they would on a production broker — with one caveat measured on this 3.10.8: a quorum queue <em>declared</em>
 * moments before a SIGKILL came back without a Raft leader (every {@code basic.get} timed out, for minutes), as if
 * its registration had not reached the disk yet; queues that existed before the node's last clean start recover.
 * Tests that kill the node therefore declare, {@link #stop()} and start it once before the kill. The user {@code guest}/{@code guest} may connect from any address (RabbitMQ
 * otherwise allows it on loopback only), because a test may bind the node to a bridge address.
 */
public final class RabbitNode implements AutoCloseable {
    private static final Path SERVER_SCRIPT = Path.of("/usr/lib/rabbitmq/bin/rabbitmq-server");
    private static final int LOG_TAIL_LINES = 40;

    private final Path dir;
    private final String listenAddress;
    private final int port;
    private final int distPort;
    private final String nodeName;
    private Process process;
    private long beamPid = -1;
    /** The last start ended with the node answering (not timed out). */
    private boolean started;
    private Thread shutdownHook;

    private RabbitNode(Path dir, String listenAddress, int port, int distPort, String nodeName) {
        this.dir = dir.toAbsolutePath();
        this.listenAddress = listenAddress;
        this.port = port;
        this.distPort = distPort;
        this.nodeName = nodeName;
    }

    /** Whether this machine has the Debian RabbitMQ server a node can be started from. */
    public static boolean available() {
        return Files.isExecutable(SERVER_SCRIPT);
    }

    /** A node listening on 127.0.0.1 on a free port, its files under {@code dir}; not started yet. */
    public static RabbitNode onLoopback(Path dir) {
        return listeningOn(dir, "127.0.0.1", Ports.free());
    }

    /**
     * A node listening on {@code listenAddress:port} only (an IPv4 address of this host, e.g. a bridge's), its files
     * under {@code dir}; not started yet.
     */
    public static RabbitNode listeningOn(Path dir, String listenAddress, int port) {
        String nodeName = "t2i-" + UUID.randomUUID().toString().substring(0, 8) + "@localhost";
        return new RabbitNode(dir, listenAddress, port, Ports.free(), nodeName);
    }

    public String host() {
        return listenAddress;
    }

    public int port() {
        return port;
    }

    public String nodeName() {
        return nodeName;
    }

    /** The pid of the running Erlang VM ({@code beam.smp}), or -1 when it is not running. */
    public long beamPid() {
        return ownBeam().map(ProcessHandle::pid).orElse(-1L);
    }

    /** The endpoint as the launcher passes it to the services (guest/guest). */
    public Endpoints.Amqp endpoint() {
        return new Endpoints.Amqp(listenAddress, port, "guest", "guest", "private RabbitMQ node " + nodeName);
    }

    /** A client connection factory for this node, with the client's own recovery off (tests control reconnects). */
    public ConnectionFactory connectionFactory() {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setHost(listenAddress);
        factory.setPort(port);
        factory.setUsername("guest");
        factory.setPassword("guest");
        factory.setAutomaticRecoveryEnabled(false);
        factory.setConnectionTimeout(2_000);
        return factory;
    }

    /**
     * Starts the node and waits (up to 3 min) until an AMQP connection opens. A start after {@link #kill9()} is the
     * slow one: the VM repairs the quorum queues' unclosed DETS files first (measured here: about 70 s under load,
     * against 10–20 s for a first or clean start).
     */
    public RabbitNode start() {
        return start(Duration.ofMinutes(3));
    }

    public synchronized RabbitNode start(Duration readyWithin) {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException(nodeName + " is already running");
        }
        try {
            writeConfiguration();
            ProcessBuilder builder = new ProcessBuilder(SERVER_SCRIPT.toString()).directory(dir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(consoleLog().toFile()));
            Map<String, String> env = builder.environment();
            env.keySet().removeIf(name -> name.startsWith("RABBITMQ_") || name.startsWith("ERL_"));
            env.putAll(environment());
            beamPid = -1; // the last run's, which the system may have given to another process since
            started = false;
            process = builder.start();
            if (shutdownHook == null) {
                // a test JVM that exits without close() must not leave a node behind
                shutdownHook = new Thread(this::killQuietly, "rabbit-node-" + nodeName + "-reaper");
                Runtime.getRuntime().addShutdownHook(shutdownHook);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not start RabbitMQ node " + nodeName, e);
        }
        waitUntilReady(readyWithin);
        ownBeam().orElseThrow(() -> failure("the node answers but its beam.smp process was not found"));
        started = true;
        return this;
    }

    /** Waits until an AMQP connection to the node opens; fails with the log's tail if the node exits or is late. */
    public void waitUntilReady(Duration within) {
        long deadline = System.nanoTime() + within.toNanos();
        ConnectionFactory factory = connectionFactory();
        while (true) {
            if (process == null || !process.isAlive()) {
                throw failure("the node exited during start-up (exit "
                        + (process == null ? "?" : process.exitValue()) + ")");
            }
            try (Connection ignored = factory.newConnection("rabbit-node-ready-probe")) {
                return;
            } catch (Exception notYet) {
                if (System.nanoTime() > deadline) {
                    throw failure("no AMQP connection within " + within.toSeconds() + " s (" + notYet + ")");
                }
                sleep(250);
            }
        }
    }

    /** SIGKILLs the node's Erlang VM — this node's own pid, nothing found by name — and waits until it is gone. */
    public synchronized void kill9() {
        if (!isRunning()) {
            return;
        }
        ownBeam().ifPresent(ProcessHandle::destroyForcibly);
        // the rabbitmq-server script waiting on the VM reaps it and exits; killed only if it does not
        if (!awaitExit(Duration.ofSeconds(15))) {
            process.descendants().forEach(ProcessHandle::destroyForcibly); // a VM found too late, a subshell
            process.destroyForcibly();
            awaitExit(Duration.ofSeconds(5));
        }
        awaitPortClosed();
    }

    /** A clean shutdown (SIGTERM to the VM, which stops RabbitMQ in order), waiting up to 60 s, else SIGKILL. */
    public synchronized void stop() {
        if (!isRunning()) {
            return;
        }
        Optional<ProcessHandle> beam = started ? ownBeam() : Optional.empty();
        if (beam.isEmpty()) {
            // A start that timed out: nothing to stop in order (a SIGTERM to a VM still booting took 120 s here
            // to end it, the two 60 s waits of awaitExit)
            kill9();
            return;
        }
        beam.get().destroy();
        if (!awaitExit(Duration.ofSeconds(60))) {
            kill9();
        }
        awaitPortClosed();
    }

    /** Starts the node again with the same name and data folder (after {@link #kill9()} or {@link #stop()}). */
    public synchronized RabbitNode restart() {
        if (isRunning()) {
            stop();
        }
        return start();
    }

    /**
     * Deletes the stopped node's data (queues, messages, users stay at their defaults): the next start is a broker
     * that lost its disk, as a replaced pod without a persistent volume would be.
     */
    public synchronized void wipeData() {
        if (isRunning()) {
            throw new IllegalStateException("stop " + nodeName + " before wiping its data");
        }
        try (var paths = Files.walk(dir.resolve("mnesia"))) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public synchronized void close() {
        stop();
        if (shutdownHook != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running or about to
            }
            shutdownHook = null;
        }
    }

    private void killQuietly() {
        ownBeam().ifPresent(ProcessHandle::destroyForcibly);
        Process running = process;
        if (running != null && running.isAlive()) {
            running.descendants().forEach(ProcessHandle::destroyForcibly); // a subshell that had not exec'd erl yet
            running.destroyForcibly();
        }
    }

    /** The last lines of the node's log and of its console output, for failure messages. */
    public String logTail() {
        StringBuilder tail = new StringBuilder();
        for (Path log : List.of(nodeLog(), consoleLog())) {
            tail.append("--- ").append(log).append(" (last ").append(LOG_TAIL_LINES).append(" lines)\n");
            try {
                List<String> lines = Files.exists(log) ? Files.readAllLines(log) : List.of("(none)");
                lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size())
                        .forEach(line -> tail.append(line).append('\n'));
            } catch (IOException | UncheckedIOException e) {
                tail.append("(unreadable: ").append(e).append(")\n");
            }
        }
        return tail.toString();
    }

    public Path nodeLog() {
        return dir.resolve("log").resolve(nodeName + ".log");
    }

    private Path consoleLog() {
        return dir.resolve("console.log");
    }

    private Map<String, String> environment() {
        return Map.ofEntries(
                Map.entry("HOME", dir.toString()),
                Map.entry("RABBITMQ_NODENAME", nodeName),
                Map.entry("RABBITMQ_NODE_IP_ADDRESS", listenAddress),
                Map.entry("RABBITMQ_NODE_PORT", Integer.toString(port)),
                Map.entry("RABBITMQ_DIST_PORT", Integer.toString(distPort)),
                Map.entry("RABBITMQ_MNESIA_BASE", dir.resolve("mnesia").toString()),
                Map.entry("RABBITMQ_LOG_BASE", dir.resolve("log").toString()),
                Map.entry("RABBITMQ_LOGS", nodeLog().toString()),
                Map.entry("RABBITMQ_PID_FILE", dir.resolve(nodeName + ".pid").toString()),
                Map.entry("RABBITMQ_CONFIG_FILE", dir.resolve("rabbitmq.conf").toString()),
                Map.entry("RABBITMQ_ADVANCED_CONFIG_FILE", dir.resolve("advanced.config").toString()),
                Map.entry("RABBITMQ_CONF_ENV_FILE", dir.resolve("rabbitmq-env.conf").toString()),
                Map.entry("RABBITMQ_ENABLED_PLUGINS_FILE", dir.resolve("enabled_plugins").toString()),
                // the distribution listener stays on loopback, like the system node's
                Map.entry("RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS", "-kernel inet_dist_use_interface {127,0,0,1}"),
                Map.entry("ERL_EPMD_ADDRESS", "127.0.0.1"));
    }

    private void writeConfiguration() throws IOException {
        Files.createDirectories(dir.resolve("log"));
        Files.createDirectories(dir.resolve("mnesia"));
        Files.writeString(dir.resolve("rabbitmq.conf"), String.join("\n",
                "listeners.tcp.1 = " + listenAddress + ":" + port,
                "loopback_users.guest = false",
                // a test machine's disk is often nearly full of build output; the default 50 MB limit is fine,
                // but a relative one would block publishers on small disks
                "disk_free_limit.absolute = 50MB",
                "log.file.level = info",
                "log.console = false",
                ""));
        Files.writeString(dir.resolve("advanced.config"), "[].\n");
        Files.writeString(dir.resolve("enabled_plugins"), "[].\n");
        Files.writeString(dir.resolve("rabbitmq-env.conf"), "# this node's settings are all in its environment\n");
    }

    /** The script this object started, or a VM of this node that outlived it, is still there. */
    private boolean isRunning() {
        return process != null && process.isAlive() || ownBeam().isPresent();
    }

    /**
     * This node's Erlang VM while it runs: a {@code beam.smp} whose environment names this node (a random name, so
     * never another node's), looked for by the known pid, among the descendants of the script this object started,
     * then among all processes (as when a start timed out before the VM was known and the script is gone).
     */
    private Optional<ProcessHandle> ownBeam() {
        Stream<ProcessHandle> known = ProcessHandle.of(beamPid).stream();
        Stream<ProcessHandle> started = process == null ? Stream.empty()
                : Stream.concat(Stream.of(process.toHandle()), process.descendants());
        Optional<ProcessHandle> beam = Stream.of(known, started, ProcessHandle.allProcesses())
                .flatMap(candidates -> candidates).filter(this::isOwnBeam).findFirst();
        beam.ifPresent(handle -> beamPid = handle.pid());
        return beam;
    }

    private boolean isOwnBeam(ProcessHandle handle) {
        if (!handle.isAlive() || !handle.info().command().map(c -> c.endsWith("beam.smp")).orElse(false)) {
            return false;
        }
        try {
            String environment = new String(Files.readAllBytes(Path.of("/proc", Long.toString(handle.pid()),
                    "environ")), StandardCharsets.ISO_8859_1);
            return Arrays.asList(environment.split("\0")).contains("RABBITMQ_NODENAME=" + nodeName);
        } catch (IOException | UncheckedIOException e) {
            return false; // gone meanwhile, or not readable: not ours
        }
    }

    private boolean awaitExit(Duration within) {
        try {
            boolean exited = process.waitFor(within.toMillis(), TimeUnit.MILLISECONDS);
            long deadline = System.nanoTime() + within.toNanos();
            while (ProcessHandle.of(beamPid).map(ProcessHandle::isAlive).orElse(false)
                    && System.nanoTime() < deadline) {
                sleep(50);
            }
            return exited && ProcessHandle.of(beamPid).isEmpty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private void awaitPortClosed() {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (Ports.isOpen(listenAddress, port) && System.nanoTime() < deadline) {
            sleep(50);
        }
    }

    private IllegalStateException failure(String what) {
        return new IllegalStateException("RabbitMQ node " + nodeName + " on " + listenAddress + ":" + port + ": "
                + what + "\n" + logTail());
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
