package io.texttoimage.localstack.infra;

import com.fasterxml.jackson.databind.ObjectMapper;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.apache.qpid.server.SystemLauncher;

/**
 * An in-process Apache Qpid Broker-J speaking AMQP 0-9-1 on loopback, so the RabbitMQ client inside the services
 * connects to it exactly as it connects to RabbitMQ. Two settings make it accept that client:
 * <ul>
 *   <li>{@code queue.behaviourOnUnknownDeclareArgument=IGNORE}: Qpid otherwise refuses RabbitMQ-only queue
 *       arguments such as {@code x-dead-letter-exchange} or {@code x-queue-type};</li>
 *   <li>{@code secureOnlyMechanisms=[]}: Qpid otherwise offers PLAIN only on TLS ports, and PLAIN is the only
 *       mechanism the RabbitMQ client speaks with a user name and password.</li>
 * </ul>
 * Like RabbitMQ, it keeps durable queues and exchanges and persistent messages on disk: the virtual host's store is
 * an embedded Apache Derby database under {@code <workDir>/message-store}, so a job still queued (or handed back by a
 * stopping generator) when the stack stops is delivered again after the next start. The broker's own configuration
 * is written afresh at every start (ports, users); only the virtual host's contents persist.
 */
public final class EmbeddedAmqpBroker implements AutoCloseable {
    /** The Derby database of the virtual host, inside the broker's work folder. */
    public static final String MESSAGE_STORE = "message-store";

    private final SystemLauncher launcher;
    private final Endpoints.Amqp endpoint;

    private EmbeddedAmqpBroker(SystemLauncher launcher, Endpoints.Amqp endpoint) {
        this.launcher = launcher;
        this.endpoint = endpoint;
    }

    public static EmbeddedAmqpBroker start(Path workDir, int port, String user, String password) throws Exception {
        Files.createDirectories(workDir);
        Path initialConfig = workDir.resolve("initial-config.json");
        new ObjectMapper().writerWithDefaultPrettyPrinter()
                .writeValue(initialConfig.toFile(), brokerConfig(port, user, password, workDir.resolve(MESSAGE_STORE)));

        // Derby writes derby.log into the working directory (the user's, for the launcher) unless told otherwise.
        if (System.getProperty("derby.stream.error.file") == null) {
            System.setProperty("derby.stream.error.file", workDir.resolve("derby.log").toAbsolutePath().toString());
        }
        SystemLauncher launcher = new SystemLauncher();
        launcher.startup(Map.of(
                "type", "Memory",
                "initialConfigurationLocation", initialConfig.toUri().toString(),
                "startupLoggedToSystemOut", false,
                "context", Map.of("qpid.work_dir", workDir.toAbsolutePath().toString())));
        return new EmbeddedAmqpBroker(launcher, new Endpoints.Amqp("127.0.0.1", port, user, password, "embedded Qpid Broker-J"));
    }

    private static Map<String, Object> brokerConfig(int port, String user, String password, Path messageStore) {
        return Map.of(
                "name", "text-to-image-local",
                "modelVersion", "9.0",
                "context", Map.of("queue.behaviourOnUnknownDeclareArgument", "IGNORE"),
                "authenticationproviders", List.of(Map.of(
                        "name", "plain",
                        "type", "Plain",
                        "secureOnlyMechanisms", List.of(),
                        "users", List.of(Map.of("name", user, "type", "managed", "password", password)))),
                "ports", List.of(Map.of(
                        "name", "AMQP",
                        "port", port,
                        "bindingAddress", "127.0.0.1",
                        "protocols", List.of("AMQP_0_9_1", "AMQP_0_9", "AMQP_0_8"),
                        "authenticationProvider", "plain",
                        "virtualhostaliases", List.of(
                                Map.of("name", "nameAlias", "type", "nameAlias"),
                                Map.of("name", "defaultAlias", "type", "defaultAlias")))),
                // A DERBY node keeps the virtual host's configuration and, with a "ProvidedStore" virtual host, its
                // messages in one Derby database; the initial configuration applies only when that store is new.
                "virtualhostnodes", List.of(Map.of(
                        "name", "default",
                        "type", "DERBY",
                        "storePath", messageStore.toAbsolutePath().toString(),
                        "defaultVirtualHostNode", "true",
                        "virtualHostInitialConfiguration", "{\"type\": \"ProvidedStore\"}")));
    }

    public Endpoints.Amqp endpoint() {
        return endpoint;
    }

    @Override
    public void close() {
        try {
            launcher.shutdown();
        } catch (IllegalStateException alreadyStopped) {
            // Qpid registers its own JVM shutdown hook; on SIGTERM/Ctrl-C it may have stopped the broker already.
        }
    }
}
