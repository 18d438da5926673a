package io.texttoimage.hub;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HubSettingsTest {

    @TempDir
    Path home;

    @Test
    void defaultsFollowHuggingfaceHub() {
        HubSettings settings = HubSettings.fromEnvironment(Map.of(), home);
        assertEquals(URI.create("https://huggingface.co"), settings.endpoint());
        assertEquals(home.resolve(".cache/huggingface/hub"), settings.cacheDir());
        assertNull(settings.token());
        assertFalse(settings.offline());
    }

    @Test
    void hfHomeGivesCacheAndTokenFile() throws IOException {
        Path hfHome = Files.createDirectories(home.resolve("hf"));
        Files.writeString(hfHome.resolve("token"), "hf_from_file\n");
        HubSettings settings = HubSettings.fromEnvironment(Map.of("HF_HOME", hfHome.toString()), home);
        assertEquals(hfHome.resolve("hub"), settings.cacheDir());
        assertEquals("hf_from_file", settings.token());
        assertFalse(settings.toString().contains("hf_from_file"), "the token is never printed");
    }

    @Test
    void explicitVariablesWin() throws IOException {
        Path hfHome = Files.createDirectories(home.resolve("hf"));
        Files.writeString(hfHome.resolve("token"), "hf_from_file");
        HubSettings settings = HubSettings.fromEnvironment(Map.of(
                "HF_HOME", hfHome.toString(), "HF_HUB_CACHE", home.resolve("elsewhere").toString(),
                "HF_TOKEN", "hf_env", "HF_ENDPOINT", "http://mirror.local:8000/", "HF_HUB_OFFLINE", "1"), home);
        assertEquals(home.resolve("elsewhere"), settings.cacheDir());
        assertEquals("hf_env", settings.token());
        assertEquals(URI.create("http://mirror.local:8000"), settings.endpoint());
        assertTrue(settings.offline());
    }

    @Test
    void offlineAcceptsTheUsualTrueSpellings() {
        for (String value : List.of("1", "true", "YES", "On")) {
            assertTrue(HubSettings.fromEnvironment(Map.of("HF_HUB_OFFLINE", value), home).offline(), value);
        }
        for (String value : List.of("0", "false", "")) {
            assertFalse(HubSettings.fromEnvironment(Map.of("HF_HUB_OFFLINE", value), home).offline(), value);
        }
    }
}
