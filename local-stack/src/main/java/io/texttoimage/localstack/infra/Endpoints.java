package io.texttoimage.localstack.infra;

import java.net.URI;

/** Connection details of the three servers the services need, whichever way each was obtained. */
public final class Endpoints {
    private Endpoints() {
    }

    /** A PostgreSQL server and the database the gateway uses on it. */
    public record Postgres(String host, int port, String database, String user, String password, String origin) {
        public String reactiveUrl() {
            return "postgresql://" + host + ":" + port + "/" + database;
        }

        public String jdbcUrl() {
            return "jdbc:" + reactiveUrl();
        }

        public String adminJdbcUrl() {
            return "jdbc:postgresql://" + host + ":" + port + "/postgres";
        }

        public Postgres withDatabase(String otherDatabase) {
            return new Postgres(host, port, otherDatabase, user, password, origin);
        }
    }

    /** An AMQP 0-9-1 broker (RabbitMQ, or the embedded Qpid Broker-J). */
    public record Amqp(String host, int port, String user, String password, String origin) {
    }

    /** An S3-compatible endpoint and the credentials the storage adapter uses on it. */
    public record S3(URI endpoint, String accessKey, String secretKey, String region, String origin) {
    }
}
