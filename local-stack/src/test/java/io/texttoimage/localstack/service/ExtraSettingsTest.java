package io.texttoimage.localstack.service;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ExtraSettingsTest {

    /** Settings spelled as environment variables go into the environment, where an unknown one is harmless. */
    @Test
    void environmentNamesAreTellableFromPropertyNames() {
        assertTrue(LocalStack.isEnvironmentName("T2I_GATEWAY_QUOTAS_ENABLED"));
        assertTrue(LocalStack.isEnvironmentName("QUARKUS_LOG_LEVEL"));
        assertFalse(LocalStack.isEnvironmentName("t2i.gateway.quotas.enabled"));
        assertFalse(LocalStack.isEnvironmentName("quarkus.rest-client.storage-adapter.read-timeout"));
        assertFalse(LocalStack.isEnvironmentName("T2I.GATEWAY"));
    }
}
