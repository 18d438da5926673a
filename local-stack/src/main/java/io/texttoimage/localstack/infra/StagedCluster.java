package io.texttoimage.localstack.infra;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Where the embedded PostgreSQL runs when it must run as an unprivileged user (the JVM is root) who cannot enter
 * the data folder, e.g. a clone inside a {@code mktemp -d} folder (mode 700): a per-run folder under
 * {@code $TMPDIR} or {@code /tmp}, owned by that user, holding a copy of the binaries and of the cluster. The cluster
 * is copied in from {@code <home>/data} at start and back after a clean stop, so it survives restarts as it does
 * in place; the per-run folder is then deleted. {@code <home>/staged-at} names the folder while it is in use, so
 * a start after a launcher that was SIGKILLed stops that postmaster, keeps its data and removes the folder.
 */
final class StagedCluster {
    private static final String POINTER = "staged-at";

    private final Path home;
    private final Path dir;

    private StagedCluster(Path home, Path dir) {
        this.home = home;
        this.dir = dir;
    }

    /** The per-run folder, seeded with {@code <home>/data} if there is a cluster there. */
    static StagedCluster create(Path home, String user) throws IOException, InterruptedException {
        recoverLeftover(home);
        Path base = stagingBase(home, user);
        Path dir = Files.createTempDirectory(base, "t2i-postgres-"); // mode 700
        EmbeddedPostgres.giveTo(dir, user);
        Files.writeString(home.resolve(POINTER), dir.toString());
        StagedCluster staged = new StagedCluster(home, dir);
        if (Files.exists(home.resolve("data/PG_VERSION"))) {
            copyTree(home.resolve("data"), staged.data());
            try (Stream<Path> paths = Files.walk(staged.data())) {
                for (Path path : paths.toList()) {
                    EmbeddedPostgres.giveTo(path, user);
                }
            }
        }
        return staged;
    }

    /** A copy of the unpacked binaries inside the per-run folder; returns where it is. */
    Path copyIn(Path binaries) throws IOException {
        Path copy = dir.resolve(binaries.getFileName());
        copyTree(binaries, copy);
        return copy;
    }

    Path dir() {
        return dir;
    }

    Path data() {
        return dir.resolve("data");
    }

    /** After the server stopped: the cluster back to {@code <home>/data}, then the per-run folder is removed. */
    void saveBackAndDelete() throws IOException {
        saveBack(home, dir);
    }

    private static void saveBack(Path home, Path dir) throws IOException {
        Path data = dir.resolve("data");
        if (Files.exists(data.resolve("PG_VERSION"))) {
            Path partial = home.resolve("data.partial");
            deleteTree(partial);
            copyTree(data, partial);
            deleteTree(home.resolve("data"));
            Files.move(partial, home.resolve("data"), StandardCopyOption.ATOMIC_MOVE);
        }
        deleteTree(dir);
        Files.deleteIfExists(home.resolve(POINTER));
    }

    /** A per-run folder a killed launcher left behind: stop its postmaster, keep its cluster, remove it. */
    private static void recoverLeftover(Path home) throws IOException, InterruptedException {
        Path pointer = home.resolve(POINTER);
        if (!Files.exists(pointer)) {
            return;
        }
        Path leftover = Path.of(Files.readString(pointer).trim());
        if (leftover.getFileName().toString().startsWith("t2i-postgres-") && Files.isDirectory(leftover)) {
            EmbeddedPostgres.stopLeftoverServer(leftover.resolve("data"));
            saveBack(home, leftover);
        }
        Files.deleteIfExists(pointer);
    }

    /** $TMPDIR, else /tmp: the first one the user can enter (the data folder itself is not one of them). */
    private static Path stagingBase(Path home, String user) {
        List<Path> candidates = Stream.of(System.getenv("TMPDIR"), "/tmp")
                .filter(s -> s != null && !s.isBlank()).map(s -> Path.of(s).toAbsolutePath()).toList();
        return candidates.stream().filter(dir -> untraversableParent(dir).isEmpty()).findFirst()
                .orElseThrow(() -> new IllegalStateException("PostgreSQL refuses to run as root, so the embedded one runs"
                        + " as user '" + user + "', but that user can enter neither " + home + " nor " + candidates
                        + ". Run as a regular user, or set T2I_DATA_DIR or TMPDIR to a folder others can enter,"
                        + " or set T2I_POSTGRES_URL to a running PostgreSQL."));
    }

    /** The first folder from {@code dir} up to / that others may not enter (empty: every one may be entered). */
    static Optional<Path> untraversableParent(Path dir) {
        for (Path p = dir.toAbsolutePath(); p != null; p = p.getParent()) {
            try {
                if (!Files.getPosixFilePermissions(p).contains(PosixFilePermission.OTHERS_EXECUTE)) {
                    return Optional.of(p);
                }
            } catch (IOException e) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path source : paths.toList()) {
                Files.copy(source, to.resolve(from.relativize(source)), StandardCopyOption.COPY_ATTRIBUTES,
                        LinkOption.NOFOLLOW_LINKS);
            }
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }
}
