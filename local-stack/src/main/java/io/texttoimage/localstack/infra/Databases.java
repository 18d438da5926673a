package io.texttoimage.localstack.infra;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/** Creates and drops databases on a PostgreSQL server through its {@code postgres} maintenance database. */
public final class Databases {
    private Databases() {
    }

    public static void createIfMissing(Endpoints.Postgres postgres) throws SQLException {
        requireSafeName(postgres.database());
        try (Connection admin = DriverManager.getConnection(postgres.adminJdbcUrl(), postgres.user(), postgres.password())) {
            if (exists(admin, postgres.database())) {
                return;
            }
            try (Statement statement = admin.createStatement()) {
                statement.execute("CREATE DATABASE \"" + postgres.database() + "\"");
            } catch (SQLException e) {
                // Another process created it between our check and our CREATE: that is what we wanted.
                if (!exists(admin, postgres.database())) {
                    throw e;
                }
            }
        }
    }

    public static void drop(Endpoints.Postgres postgres) throws SQLException {
        requireSafeName(postgres.database());
        try (Connection admin = DriverManager.getConnection(postgres.adminJdbcUrl(), postgres.user(), postgres.password());
             Statement statement = admin.createStatement()) {
            statement.execute("DROP DATABASE IF EXISTS \"" + postgres.database() + "\" WITH (FORCE)");
        }
    }

    private static boolean exists(Connection admin, String database) throws SQLException {
        try (PreparedStatement query = admin.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
            query.setString(1, database);
            try (ResultSet rows = query.executeQuery()) {
                return rows.next();
            }
        }
    }

    /** Database names go into DDL, which cannot take bind parameters. */
    private static void requireSafeName(String database) {
        if (!database.matches("[A-Za-z0-9_]{1,63}")) {
            throw new IllegalArgumentException("Database name must be 1..63 letters, digits or underscores: " + database);
        }
    }
}
