package io.texttoimage.storage;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A storage adapter without a usable gateway token refuses to start, saying which setting to fix. */
class GatewayAuthenticationConfigTest {

    @Test
    void noTokenOrOnlyBlankOnesStopsTheStart() {
        for (List<String> tokens : List.of(List.<String>of(), List.of(" ", ""))) {
            IllegalStateException refused = assertThrows(IllegalStateException.class,
                    () -> new GatewayAuthentication(configWith(tokens)));
            assertTrue(refused.getMessage().contains("T2I_STORAGE_GATEWAY_TOKENS"), refused.getMessage());
        }
    }

    @Test
    void aShortTokenStopsTheStart() {
        IllegalStateException refused = assertThrows(IllegalStateException.class,
                () -> new GatewayAuthentication(configWith(List.of("a".repeat(40), "secret"))));
        assertTrue(refused.getMessage().contains("6 characters"), refused.getMessage());
    }

    @Test
    void longRandomTokensAreAccepted() {
        assertDoesNotThrow(() -> new GatewayAuthentication(configWith(List.of("x".repeat(22), "y".repeat(32)))));
    }

    private static StorageConfig configWith(List<String> tokens) {
        return (StorageConfig) Proxy.newProxyInstance(StorageConfig.class.getClassLoader(),
                new Class<?>[] {StorageConfig.class}, (proxy, method, args) -> {
                    if (method.getName().equals("gatewayTokens")) {
                        return tokens;
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }
}
