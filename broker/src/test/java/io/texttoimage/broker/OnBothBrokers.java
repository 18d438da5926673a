package io.texttoimage.broker;

import io.texttoimage.localstack.infra.EmbeddedAmqpBroker;
import io.texttoimage.localstack.infra.Ports;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

/**
 * A test class that runs on two real brokers: whatever listens on 127.0.0.1:5672 (RabbitMQ on these machines; the
 * embedded Qpid Broker-J that bin/test starts where nothing listens) and an embedded Qpid Broker-J of its own.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class OnBothBrokers {
    static final String PORT_5672 = "127.0.0.1:5672";
    static final String EMBEDDED_QPID = "embedded Qpid";

    private EmbeddedAmqpBroker qpid;

    @BeforeAll
    void startQpid(@TempDir Path qpidDir) throws Exception {
        qpid = EmbeddedAmqpBroker.start(qpidDir, Ports.free(), "guest", "guest");
    }

    @AfterAll
    void stopQpid() {
        if (qpid != null) {
            qpid.close();
        }
    }

    /** The broker to use, by the name the test reports. */
    BrokerSettings broker(String name) {
        return switch (name) {
            case PORT_5672 -> BrokerSettings.plain("127.0.0.1", 5672, "guest", "guest");
            case EMBEDDED_QPID -> BrokerSettings.plain("127.0.0.1", qpid.endpoint().port(), "guest", "guest");
            default -> throw new IllegalArgumentException(name);
        };
    }
}
