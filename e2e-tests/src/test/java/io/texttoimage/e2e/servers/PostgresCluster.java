package io.texttoimage.e2e.servers;

import io.texttoimage.localstack.infra.Databases;
import io.texttoimage.localstack.infra.Endpoints;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A PostgreSQL cluster of the suite's own (Debian's {@code initdb}/{@code pg_ctl}, run as the {@code postgres} user:
 * PostgreSQL refuses root), on its own address, port and data folder, so that a test may stop, crash and restart it
 * without touching the machine's server. Trust authentication for the one subnet it listens on.
 */
public final class PostgresCluster implements AutoCloseable {
    private static final Path BIN = Path.of("/usr/lib/postgresql/15/bin");
    private static final String OS_USER = "postgres";

    private final Path dataDir;
    private final Path logFile;
    private final String host;
    private final int port;
    private final Consumer<String> log;

    private PostgresCluster(Path dir, String host, int port, Consumer<String> log) {
        this.dataDir = dir.resolve("data");
        this.logFile = dir.resolve("server.log");
        this.host = host;
        this.port = port;
        this.log = log;
    }

    /** True where the binaries and the OS user exist (Debian's postgresql-15 package). */
    public static boolean available() {
        return Files.isExecutable(BIN.resolve("initdb")) && Files.isExecutable(BIN.resolve("pg_ctl"));
    }

    /**
     * A new cluster in {@code dir} (created and given to postgres, its parent must be reachable by postgres: data in
     * {@code dir/data}, the server's log in {@code dir/server.log}), listening on {@code host:port} and accepting
     * {@code clientSubnet} (CIDR) without a password; started.
     */
    public static PostgresCluster start(Path dir, String host, int port, String clientSubnet, Consumer<String> log)
            throws IOException, InterruptedException {
        Path dataDir = dir.resolve("data");
        Files.createDirectories(dataDir);
        run(List.of("chown", "-R", OS_USER + ":" + OS_USER, dir.toString()));
        run(List.of("chmod", "700", dir.toString(), dataDir.toString()));
        asPostgres(BIN.resolve("initdb").toString(), "-D", dataDir.toString(), "-U", "postgres", "--auth=trust",
                "--encoding=UTF8", "--no-sync");
        String settings = "\nlisten_addresses = '" + host + "'\nport = " + port
                + "\nunix_socket_directories = '" + dataDir + "'\nfsync = off\nmax_connections = 200\n";
        Files.writeString(dataDir.resolve("postgresql.conf"), settings, StandardCharsets.UTF_8,
                java.nio.file.StandardOpenOption.APPEND);
        Files.writeString(dataDir.resolve("pg_hba.conf"), "host all all " + clientSubnet + " trust\n",
                StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.APPEND);
        PostgresCluster cluster = new PostgresCluster(dir, host, port, log);
        cluster.start();
        return cluster;
    }

    /** {@code database} on this cluster, created when missing. */
    public Endpoints.Postgres createDatabase(String database) throws java.sql.SQLException {
        Endpoints.Postgres endpoint = new Endpoints.Postgres(host, port, database, "postgres", "postgres",
                "chaos PostgreSQL cluster " + dataDir);
        Databases.createIfMissing(endpoint);
        return endpoint;
    }

    public void start() throws IOException, InterruptedException {
        asPostgres(BIN.resolve("pg_ctl").toString(), "-D", dataDir.toString(), "-l", logFile.toString(), "-w", "-t", "60",
                "start");
        log.accept("PostgreSQL on " + host + ":" + port + " started");
    }

    /** {@code pg_ctl stop -m fast}: clients are disconnected, as on an operator's restart. */
    public void stop() throws IOException, InterruptedException {
        asPostgres(BIN.resolve("pg_ctl").toString(), "-D", dataDir.toString(), "-w", "-t", "60", "-m", "fast", "stop");
        log.accept("PostgreSQL on " + host + ":" + port + " stopped");
    }

    public void restart() throws IOException, InterruptedException {
        stop();
        start();
    }

    public Path logFile() {
        return logFile;
    }

    /** Stops it ({@code immediate}: the data goes with the run) and deletes nothing: the caller owns the folder. */
    @Override
    public void close() {
        try {
            asPostgres(BIN.resolve("pg_ctl").toString(), "-D", dataDir.toString(), "-w", "-t", "30", "-m", "immediate",
                    "stop");
        } catch (IOException | InterruptedException e) {
            log.accept("PostgreSQL in " + dataDir + " did not stop: " + e.getMessage());
        }
    }

    private static void asPostgres(String... command) throws IOException, InterruptedException {
        List<String> full = new ArrayList<>(List.of("runuser", "-u", OS_USER, "--"));
        full.addAll(List.of(command));
        run(full);
    }

    private static void run(List<String> command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IOException(String.join(" ", command) + " took more than 120 s");
        }
        if (process.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed (" + process.exitValue() + "): " + output.trim());
        }
    }
}
