package io.texttoimage.localstack.infra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;

import org.junit.jupiter.api.Test;

class EmbeddedPostgresTest {

    @Test
    void startsARealServerWhoseDataSurvivesARestartAndStopsWithoutLeftovers() throws Exception {
        Path home = TestDirs.fresh("postgres");
        Path log = home.resolve("postgres.log");
        int port = Ports.free();

        long firstPid;
        try (EmbeddedPostgres postgres = EmbeddedPostgres.start(home, port, log)) {
            firstPid = postgres.pid();
            Endpoints.Postgres endpoint = postgres.endpoint("it_survives");
            Databases.createIfMissing(endpoint);
            Databases.createIfMissing(endpoint); // idempotent
            try (Connection connection = DriverManager.getConnection(endpoint.jdbcUrl(), endpoint.user(), endpoint.password());
                 Statement statement = connection.createStatement()) {
                statement.execute("CREATE TABLE note (text varchar(20))");
                statement.execute("INSERT INTO note VALUES ('kept')");
            }
        }
        assertFalse(ProcessHandle.of(firstPid).map(ProcessHandle::isAlive).orElse(false), "postmaster still running after close");
        assertTrue(Ports.isFree(port), "port " + port + " still taken after close");

        try (EmbeddedPostgres postgres = EmbeddedPostgres.start(home, port, log)) {
            Endpoints.Postgres endpoint = postgres.endpoint("it_survives");
            try (Connection connection = DriverManager.getConnection(endpoint.jdbcUrl(), endpoint.user(), endpoint.password());
                 Statement statement = connection.createStatement();
                 ResultSet rows = statement.executeQuery("SELECT text FROM note")) {
                assertTrue(rows.next());
                assertEquals("kept", rows.getString(1));
                assertTrue(rows.getString(1).equals("kept") && !rows.next());
            }
            Databases.drop(endpoint);
        }
        assertTrue(Files.exists(home.resolve("data/PG_VERSION")));
    }
}
