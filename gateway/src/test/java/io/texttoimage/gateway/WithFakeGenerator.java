package io.texttoimage.gateway;

import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** A gateway test that plays the generator side over the real broker ({@link FakeGenerator}), connected per test. */
abstract class WithFakeGenerator {
    protected FakeGenerator generator;

    @BeforeEach
    void connectFakeGenerator() throws Exception {
        generator = new FakeGenerator(ConfigProvider.getConfig().getValue("t2i.messaging.prefix", String.class));
    }

    @AfterEach
    void disconnectFakeGenerator() throws Exception {
        generator.close();
    }
}
