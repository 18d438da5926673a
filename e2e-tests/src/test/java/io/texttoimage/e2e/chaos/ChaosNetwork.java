package io.texttoimage.e2e.chaos;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The suite's hosts: one network namespace per service process, each with a veth pair whose outer end is on a bridge
 * in the root namespace. The bridge has the subnet's first address, where the suite's own servers (PostgreSQL,
 * RabbitMQ, S3Proxy) listen; the services reach them and each other only through it, never through 127.0.0.1.
 * Every name starts with a run-specific prefix; {@link #close()} removes all of them (also from a shutdown hook).
 */
final class ChaosNetwork implements AutoCloseable {

    /** One host: its namespace, its address on the bridge and the outer end of its link (what a partition takes down). */
    record Host(String name, String namespace, String address, String outerLink) {
    }

    private final String prefix;
    private final String subnet;
    private final String bridge;
    private final Consumer<String> log;
    private final List<Host> hosts = Collections.synchronizedList(new ArrayList<>());
    private volatile boolean closed;

    private ChaosNetwork(String prefix, String subnet, Consumer<String> log) {
        this.prefix = prefix;
        this.subnet = subnet;
        this.bridge = prefix + "br";
        this.log = log;
    }

    /**
     * A bridge {@code <prefix>br} with {@code 10.<a>.<b>.1/24}, on a /24 no interface of this machine uses yet.
     * {@code prefix}: at most 8 characters (Linux interface names have 15).
     */
    static ChaosNetwork create(String prefix, int seed, Consumer<String> log) throws IOException, InterruptedException {
        String used = run(List.of("ip", "-4", "-o", "addr", "show"), true);
        String subnet = null;
        for (int i = 0; i < 200 && subnet == null; i++) {
            int value = Math.floorMod(seed + i * 7919, 200 * 250);
            String candidate = "10." + (50 + value / 250) + "." + (value % 250) + ".";
            if (!used.contains(" " + candidate)) {
                subnet = candidate;
            }
        }
        if (subnet == null) {
            throw new IOException("no free 10.x.y.0/24 subnet for the chaos bridge");
        }
        ChaosNetwork network = new ChaosNetwork(prefix, subnet, log);
        network.ip("link", "add", network.bridge, "type", "bridge");
        network.ip("addr", "add", network.gatewayAddress() + "/24", "dev", network.bridge);
        network.ip("link", "set", network.bridge, "up");
        log.accept("bridge " + network.bridge + " on " + subnet + "0/24");
        return network;
    }

    /** Where the root namespace (the suite and its servers) is reached from every host. */
    String gatewayAddress() {
        return subnet + "1";
    }

    /** A new namespace {@code <prefix>-<name>} with address {@code .<10 + n>} on the bridge and loopback up. */
    synchronized Host addHost(String name) throws IOException, InterruptedException {
        int index = hosts.size();
        String namespace = prefix + "-" + name;
        String address = subnet + (10 + index);
        String outer = prefix + "v" + index;
        String inner = prefix + "i" + index;
        ip("netns", "add", namespace);
        Host host = new Host(name, namespace, address, outer);
        hosts.add(host);
        ip("link", "add", outer, "type", "veth", "peer", "name", inner);
        ip("link", "set", inner, "netns", namespace);
        ip("link", "set", outer, "master", bridge);
        ip("link", "set", outer, "up");
        ipIn(namespace, "link", "set", "lo", "up");
        ipIn(namespace, "addr", "add", address + "/24", "dev", inner);
        ipIn(namespace, "link", "set", inner, "up");
        ipIn(namespace, "route", "add", "default", "via", gatewayAddress());
        return host;
    }

    /** Takes the host's link down: its process keeps running, but no packet reaches or leaves it. */
    void cut(Host host) throws IOException, InterruptedException {
        ip("link", "set", host.outerLink(), "down");
    }

    void heal(Host host) throws IOException, InterruptedException {
        ip("link", "set", host.outerLink(), "up");
    }

    /** The command prefix that runs a program in the host's namespace. */
    static List<String> inNamespace(Host host) {
        return List.of("ip", "netns", "exec", host.namespace());
    }

    private void ip(String... arguments) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("ip"));
        command.addAll(List.of(arguments));
        run(command, false);
    }

    private void ipIn(String namespace, String... arguments) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", namespace, "ip"));
        command.addAll(List.of(arguments));
        run(command, false);
    }

    private static String run(List<String> command, boolean quiet) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IOException(String.join(" ", command) + " did not finish within 30 s");
        }
        if (process.exitValue() != 0 && !quiet) {
            throw new IOException(String.join(" ", command) + " failed (" + process.exitValue() + "): " + output.trim());
        }
        return output;
    }

    /** Deletes every namespace (which removes its veth pair) and the bridge; errors are logged, not thrown. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Host host : hosts) {
            try {
                run(List.of("ip", "link", "del", host.outerLink()), true);
                run(List.of("ip", "netns", "del", host.namespace()), false);
            } catch (IOException | InterruptedException e) {
                log.accept("could not delete namespace " + host.namespace() + ": " + e.getMessage());
            }
        }
        try {
            run(List.of("ip", "link", "del", bridge), false);
        } catch (IOException | InterruptedException e) {
            log.accept("could not delete bridge " + bridge + ": " + e.getMessage());
        }
    }
}
