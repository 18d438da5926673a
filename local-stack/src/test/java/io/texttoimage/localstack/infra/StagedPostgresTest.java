package io.texttoimage.localstack.infra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * As root, with the data folder inside a folder only root may enter (a clone in a {@code mktemp -d} folder): the
 * server runs as 'nobody' from a per-run folder it owns, the cluster survives a restart and a killed launcher, and
 * no per-run folder is left behind. Only meaningful as root (where PostgreSQL has to change user); skipped otherwise.
 */
class StagedPostgresTest {

    @TempDir
    Path privateDir; // mode 700, owned by root

    @Test
    void runsFromAPerRunFolderTheServerMayEnterAndKeepsTheClusterInTheDataFolder() throws Exception {
        assumeTrue(isRoot(), "only as root does PostgreSQL run as another user");
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(privateDir)));
        Path home = privateDir.resolve("clone/.data/postgres");
        Path log = home.resolve("postgres.log");

        // Never closed: like a launcher that was SIGKILLed, it leaves its postmaster and per-run folder behind.
        EmbeddedPostgres abandoned = EmbeddedPostgres.start(home, Ports.free(), log);
        Path leftover = abandoned.stagedIn().orElseThrow();
        assertEquals("nobody", Files.getOwner(leftover).getName());
        assertTrue(StagedCluster.untraversableParent(leftover.getParent()).isEmpty(), leftover + " is not reachable");
        execute(abandoned.endpoint("staged"), "CREATE TABLE note (text varchar(20))", "INSERT INTO note VALUES ('kept')");

        Path staged;
        try (EmbeddedPostgres postgres = EmbeddedPostgres.start(home, Ports.free(), log)) {
            assertFalse(ProcessHandle.of(abandoned.pid()).map(ProcessHandle::isAlive).orElse(false), "old postmaster runs");
            assertFalse(Files.exists(leftover), "old per-run folder left behind: " + leftover);
            staged = postgres.stagedIn().orElseThrow();
            assertEquals("kept", firstNote(postgres.endpoint("staged")));
            execute(postgres.endpoint("staged"), "UPDATE note SET text = 'kept twice'");
        }
        assertFalse(Files.exists(staged), "per-run folder left behind: " + staged);
        assertTrue(Files.exists(home.resolve("data/PG_VERSION")), "cluster not copied back");
        assertFalse(Files.exists(home.resolve("staged-at")));

        try (EmbeddedPostgres postgres = EmbeddedPostgres.start(home, Ports.free(), log)) {
            assertEquals("kept twice", firstNote(postgres.endpoint("staged")));
        }
    }

    private static boolean isRoot() {
        return new com.sun.security.auth.module.UnixSystem().getUid() == 0;
    }

    private static void execute(Endpoints.Postgres endpoint, String... sql) throws Exception {
        Databases.createIfMissing(endpoint);
        try (Connection connection = DriverManager.getConnection(endpoint.jdbcUrl(), endpoint.user(), endpoint.password());
             Statement statement = connection.createStatement()) {
            for (String line : sql) {
                statement.execute(line);
            }
        }
    }

    private static String firstNote(Endpoints.Postgres endpoint) throws Exception {
        try (Connection connection = DriverManager.getConnection(endpoint.jdbcUrl(), endpoint.user(), endpoint.password());
             Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT text FROM note")) {
            assertTrue(rows.next());
            return rows.getString(1);
        }
    }
}
