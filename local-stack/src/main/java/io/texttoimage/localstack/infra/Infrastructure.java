package io.texttoimage.localstack.infra;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Finds or starts the three servers the services need. For each one a configured endpoint wins, then a server
 * already listening on its usual loopback port (PostgreSQL 5432, RabbitMQ 5672), and only then an embedded
 * equivalent is started: PostgreSQL from Maven binaries, Qpid Broker-J for AMQP 0-9-1, S3Proxy on a folder.
 * Closing stops whatever was started here, in reverse order, and nothing else.
 */
public final class Infrastructure implements AutoCloseable {

    public enum Server { POSTGRES, RABBITMQ, S3 }

    /**
     * @param dataDir       everything embedded lives under it (postgres/, amqp/, s3/, logs/)
     * @param env           where configured endpoints come from (normally {@link System#getenv()})
     * @param database      database the gateway uses; created if missing
     * @param forceEmbedded servers to start embedded even if one is configured or reachable
     * @param s3Port        preferred port of an embedded S3 (0 = any free port)
     */
    public record Options(Path dataDir, Map<String, String> env, String database, Set<Server> forceEmbedded, int s3Port) {
        public static Options fromEnvironment(Path dataDir, String database, int s3Port) {
            Map<String, String> env = System.getenv();
            return new Options(dataDir, env, database, parseForced(env.get("T2I_EMBEDDED")), s3Port);
        }

        /** {@code T2I_EMBEDDED=all} or a comma list of postgres, rabbitmq, s3. */
        public static Set<Server> parseForced(String value) {
            Set<Server> forced = EnumSet.noneOf(Server.class);
            if (value == null || value.isBlank()) {
                return forced;
            }
            for (String part : value.toLowerCase(Locale.ROOT).split("[,\\s]+")) {
                switch (part) {
                    case "all" -> forced.addAll(EnumSet.allOf(Server.class));
                    case "postgres", "postgresql" -> forced.add(Server.POSTGRES);
                    case "rabbitmq", "amqp" -> forced.add(Server.RABBITMQ);
                    case "s3" -> forced.add(Server.S3);
                    case "" -> { }
                    default -> throw new IllegalArgumentException("T2I_EMBEDDED: unknown server '" + part
                            + "' (use all, postgres, rabbitmq, s3)");
                }
            }
            return forced;
        }
    }

    private final Deque<AutoCloseable> started = new ArrayDeque<>();
    private Endpoints.Postgres postgres;
    private Endpoints.Amqp amqp;
    private Endpoints.S3 s3;

    private Infrastructure() {
    }

    public static Infrastructure start(Options options, Consumer<String> log) throws Exception {
        Infrastructure infrastructure = new Infrastructure();
        try {
            infrastructure.postgres = infrastructure.postgres(options);
            log.accept("PostgreSQL: " + infrastructure.postgres.origin() + " at " + infrastructure.postgres.jdbcUrl());
            infrastructure.amqp = infrastructure.amqp(options);
            log.accept("AMQP broker: " + infrastructure.amqp.origin() + " at amqp://" + infrastructure.amqp.host() + ":"
                    + infrastructure.amqp.port());
            infrastructure.s3 = infrastructure.s3(options);
            log.accept("S3: " + infrastructure.s3.origin() + " at " + infrastructure.s3.endpoint());
            return infrastructure;
        } catch (Exception e) {
            infrastructure.close();
            throw e;
        }
    }

    public Endpoints.Postgres postgres() {
        return postgres;
    }

    public Endpoints.Amqp amqp() {
        return amqp;
    }

    public Endpoints.S3 s3() {
        return s3;
    }

    private Endpoints.Postgres postgres(Options options) throws Exception {
        Map<String, String> env = options.env();
        String user = env.getOrDefault("T2I_POSTGRES_USER", EmbeddedPostgres.SUPERUSER);
        String password = env.getOrDefault("T2I_POSTGRES_PASSWORD", "");
        Endpoints.Postgres endpoint;
        if (!options.forceEmbedded().contains(Server.POSTGRES) && isSet(env.get("T2I_POSTGRES_URL"))) {
            endpoint = parsePostgresUrl(env.get("T2I_POSTGRES_URL"), user, password);
        } else if (!options.forceEmbedded().contains(Server.POSTGRES) && Ports.isOpen("127.0.0.1", 5432)) {
            endpoint = new Endpoints.Postgres("127.0.0.1", 5432, options.database(), user, password,
                    "PostgreSQL already running on 127.0.0.1:5432");
        } else {
            EmbeddedPostgres embedded = EmbeddedPostgres.start(options.dataDir().resolve("postgres"), Ports.free(),
                    options.dataDir().resolve("logs/postgres.log"));
            started.push(embedded);
            endpoint = embedded.endpoint(options.database());
        }
        try {
            Databases.createIfMissing(endpoint);
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException("Cannot use PostgreSQL at " + endpoint.adminJdbcUrl() + " as user '" + endpoint.user()
                    + "': " + e.getMessage() + " — set T2I_POSTGRES_URL / T2I_POSTGRES_USER / T2I_POSTGRES_PASSWORD,"
                    + " or T2I_EMBEDDED=postgres to use an embedded one.", e);
        }
        return endpoint;
    }

    /** Accepts {@code [jdbc:]postgresql://host[:port]/database}. */
    static Endpoints.Postgres parsePostgresUrl(String url, String user, String password) {
        URI uri = URI.create(url.startsWith("jdbc:") ? url.substring(5) : url);
        if (!"postgresql".equals(uri.getScheme()) || uri.getHost() == null || uri.getPath() == null || uri.getPath().length() < 2) {
            throw new IllegalArgumentException("T2I_POSTGRES_URL must look like postgresql://host:5432/database, got " + url);
        }
        int port = uri.getPort() > 0 ? uri.getPort() : 5432;
        return new Endpoints.Postgres(uri.getHost(), port, uri.getPath().substring(1), user, password, "configured PostgreSQL");
    }

    private Endpoints.Amqp amqp(Options options) throws Exception {
        Map<String, String> env = options.env();
        boolean embeddedOnly = options.forceEmbedded().contains(Server.RABBITMQ);
        String user = env.getOrDefault("RABBITMQ_USERNAME", "guest");
        String password = env.getOrDefault("RABBITMQ_PASSWORD", "guest");
        if (!embeddedOnly && isSet(env.get("RABBITMQ_HOST"))) {
            int port = Integer.parseInt(env.getOrDefault("RABBITMQ_PORT", "5672"));
            return new Endpoints.Amqp(env.get("RABBITMQ_HOST"), port, user, password, "configured RabbitMQ");
        }
        if (!embeddedOnly && Ports.isOpen("127.0.0.1", 5672)) {
            return new Endpoints.Amqp("127.0.0.1", 5672, user, password, "RabbitMQ already running on 127.0.0.1:5672");
        }
        EmbeddedAmqpBroker broker = EmbeddedAmqpBroker.start(options.dataDir().resolve("amqp"), Ports.free(), "guest", "guest");
        started.push(broker);
        return broker.endpoint();
    }

    private Endpoints.S3 s3(Options options) throws Exception {
        Map<String, String> env = options.env();
        if (!options.forceEmbedded().contains(Server.S3) && isSet(env.get("T2I_STORAGE_ENDPOINT"))) {
            return new Endpoints.S3(URI.create(env.get("T2I_STORAGE_ENDPOINT")),
                    env.getOrDefault("T2I_STORAGE_ACCESS_KEY", ""), env.getOrDefault("T2I_STORAGE_SECRET_KEY", ""),
                    env.getOrDefault("T2I_STORAGE_REGION", "us-east-1"), "configured S3 endpoint");
        }
        Properties credentials = localS3Credentials(options.dataDir().resolve("s3-credentials.properties"));
        EmbeddedS3 embedded = EmbeddedS3.start(options.dataDir().resolve("s3"), Ports.preferred(options.s3Port()),
                credentials.getProperty("access-key"), credentials.getProperty("secret-key"));
        started.push(embedded);
        return embedded.endpoint();
    }

    /** Random keys made once per data folder, so the embedded S3 is not open to anything on the machine. */
    private static Properties localS3Credentials(Path file) throws IOException {
        Properties credentials = new Properties();
        if (Files.exists(file)) {
            try (InputStream in = Files.newInputStream(file)) {
                credentials.load(in);
            }
            if (credentials.containsKey("access-key") && credentials.containsKey("secret-key")) {
                return credentials;
            }
        }
        SecureRandom random = new SecureRandom();
        byte[] secret = new byte[24];
        random.nextBytes(secret);
        credentials.setProperty("access-key", "local-" + HexFormat.of().formatHex(secret, 0, 4));
        credentials.setProperty("secret-key", HexFormat.of().formatHex(secret));
        Files.createDirectories(file.getParent());
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try (OutputStream out = Files.newOutputStream(file)) {
            credentials.store(out, "Credentials of the embedded S3 (S3Proxy) of this data folder");
        }
        return credentials;
    }

    private static boolean isSet(String value) {
        return value != null && !value.isBlank();
    }

    @Override
    public void close() {
        while (!started.isEmpty()) {
            try {
                started.pop().close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                System.err.println("local-stack: error while stopping an embedded server: " + e);
            }
        }
    }
}
