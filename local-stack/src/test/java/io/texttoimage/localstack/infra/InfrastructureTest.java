package io.texttoimage.localstack.infra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.ConnectionFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

class InfrastructureTest {

    @Test
    void embeddedEverythingStartsIsUsableAndStopsWithoutLeftovers() throws Exception {
        Path data = TestDirs.fresh("infra");
        List<String> log = new ArrayList<>();
        Infrastructure.Options options = new Infrastructure.Options(data, Map.of(), "texttoimage",
                EnumSet.allOf(Infrastructure.Server.class), 0);
        Endpoints.Postgres postgres;
        Endpoints.Amqp amqp;
        Endpoints.S3 s3;
        try (Infrastructure infrastructure = Infrastructure.start(options, log::add)) {
            postgres = infrastructure.postgres();
            amqp = infrastructure.amqp();
            s3 = infrastructure.s3();
            assertTrue(postgres.origin().startsWith("embedded") && amqp.origin().startsWith("embedded")
                    && s3.origin().startsWith("embedded"), log.toString());
            try (Connection connection = DriverManager.getConnection(postgres.jdbcUrl(), postgres.user(), postgres.password())) {
                assertEquals("texttoimage", connection.getCatalog()); // the database was created
            }
            ConnectionFactory factory = new ConnectionFactory();
            factory.setPort(amqp.port());
            factory.setUsername(amqp.user());
            factory.setPassword(amqp.password());
            factory.newConnection().close();
            assertTrue(Ports.isOpen("127.0.0.1", s3.endpoint().getPort()));
        }
        assertTrue(Ports.isFree(postgres.port()) && Ports.isFree(amqp.port()) && Ports.isFree(s3.endpoint().getPort()),
                "a port is still taken after close");
        assertEquals(3, log.size(), log.toString());

        // The same folder again: same S3 keys (objects stay readable), same cluster.
        try (Infrastructure again = Infrastructure.start(options, line -> { })) {
            assertEquals(s3.accessKey(), again.s3().accessKey());
            assertEquals(s3.secretKey(), again.s3().secretKey());
        }
        assertEquals(Set.of("rw-------"), Set.of(java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(data.resolve("s3-credentials.properties")))));
    }

    @Test
    void configuredEndpointsWinAndNothingIsStartedForThem() throws Exception {
        Path data = TestDirs.fresh("configured");
        int closedPort = Ports.free();
        Map<String, String> env = Map.of(
                "RABBITMQ_HOST", "127.0.0.1", "RABBITMQ_PORT", Integer.toString(closedPort),
                "T2I_STORAGE_ENDPOINT", "http://s3.internal:9000", "T2I_STORAGE_ACCESS_KEY", "ak", "T2I_STORAGE_SECRET_KEY", "sk",
                "T2I_POSTGRES_URL", "postgresql://127.0.0.1:" + closedPort + "/nowhere");
        Infrastructure.Options options = new Infrastructure.Options(data, env, "ignored", EnumSet.noneOf(Infrastructure.Server.class), 0);
        // The configured PostgreSQL is not there: the error says which one and what to set; nothing embedded starts.
        IllegalStateException error = assertThrows(IllegalStateException.class, () -> Infrastructure.start(options, line -> { }));
        assertTrue(error.getMessage().contains("127.0.0.1:" + closedPort) && error.getMessage().contains("T2I_POSTGRES_URL"),
                error.getMessage());
        assertFalse(Files.exists(data.resolve("postgres")), "an embedded PostgreSQL was started anyway");
    }

    @Test
    void parsesPostgresUrlsAndEmbeddedSelections() {
        Endpoints.Postgres parsed = Infrastructure.parsePostgresUrl("jdbc:postgresql://db.example:6543/images", "u", "p");
        assertEquals("db.example", parsed.host());
        assertEquals(6543, parsed.port());
        assertEquals("images", parsed.database());
        assertEquals("postgresql://db.example:6543/images", parsed.reactiveUrl());
        assertEquals(5432, Infrastructure.parsePostgresUrl("postgresql://db/x", "u", "p").port());
        assertThrows(IllegalArgumentException.class, () -> Infrastructure.parsePostgresUrl("mysql://db/x", "u", "p"));
        assertThrows(IllegalArgumentException.class, () -> Infrastructure.parsePostgresUrl("postgresql://db/", "u", "p"));

        assertEquals(EnumSet.allOf(Infrastructure.Server.class), Infrastructure.Options.parseForced("all"));
        assertEquals(EnumSet.of(Infrastructure.Server.POSTGRES, Infrastructure.Server.S3),
                Infrastructure.Options.parseForced("postgres, s3"));
        assertEquals(EnumSet.noneOf(Infrastructure.Server.class), Infrastructure.Options.parseForced(null));
        assertThrows(IllegalArgumentException.class, () -> Infrastructure.Options.parseForced("mysql"));
    }
}
