package io.texttoimage.storage;

import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** The t2i.storage.* → quarkus.minio.* mapping; the @QuarkusTest classes check the clients built from it. */
class MinioSettingsTest {

    private static Map<String, String> derive(Map<String, String> storage) {
        return MinioSettings.derive(name -> Optional.ofNullable(storage.get(name)));
    }

    @Test
    void theSchemeOfEachEndpointDecidesTheClientsSecureFlag() {
        Map<String, String> settings = derive(Map.of(
                "t2i.storage.endpoint", "http://minio:9000",
                "t2i.storage.public-endpoint", "HTTPS://s3.example.com"));
        assertEquals("http://minio:9000", settings.get("quarkus.minio.host"));
        assertEquals("false", settings.get("quarkus.minio.secure"));
        assertEquals("HTTPS://s3.example.com", settings.get("quarkus.minio.signing.host"));
        assertEquals("true", settings.get("quarkus.minio.signing.secure"));
    }

    @Test
    void theSignerUsesTheInternalEndpointWhenNoPublicOneIsSet() {
        Map<String, String> settings = derive(Map.of("t2i.storage.endpoint", "https://s3.eu-west-1.amazonaws.com"));
        assertEquals("https://s3.eu-west-1.amazonaws.com", settings.get("quarkus.minio.signing.host"));
        assertEquals("true", settings.get("quarkus.minio.signing.secure"));
    }

    @Test
    void bothClientsAlwaysHaveAnExplicitRegionAndTheSameKeys() {
        Map<String, String> defaults = derive(Map.of("t2i.storage.access-key", "ak", "t2i.storage.secret-key", "sk"));
        assertEquals(MinioSettings.DEFAULT_ENDPOINT, defaults.get("quarkus.minio.host"));
        assertEquals("us-east-1", defaults.get("quarkus.minio.region"));
        assertEquals("us-east-1", defaults.get("quarkus.minio.signing.region"));
        assertEquals("ak", defaults.get("quarkus.minio.signing.access-key"));
        assertEquals("sk", defaults.get("quarkus.minio.signing.secret-key"));

        Map<String, String> region = derive(Map.of("t2i.storage.region", "eu-west-1"));
        assertEquals("eu-west-1", region.get("quarkus.minio.region"));
        assertEquals("eu-west-1", region.get("quarkus.minio.signing.region"));
    }

    @Test
    void missingKeysAreLeftForStorageConfigToReport() {
        Map<String, String> settings = derive(Map.of());
        assertFalse(settings.containsKey("quarkus.minio.access-key"));
        assertFalse(settings.containsKey("quarkus.minio.signing.secret-key"));
    }
}
