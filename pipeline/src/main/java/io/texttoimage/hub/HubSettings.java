package io.texttoimage.hub;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Where and how to reach the Hugging Face Hub, read from the same environment variables as huggingface_hub so that
 * a cache and token set up for Python tools are shared.
 *
 * @param endpoint Hub base URL ({@code HF_ENDPOINT}, default {@code https://huggingface.co})
 * @param cacheDir the hub cache folder holding {@code models--org--name} folders
 * @param token    access token for gated or private repos, or {@code null}
 * @param offline  {@code HF_HUB_OFFLINE}: never touch the network, use the cache only
 */
public record HubSettings(URI endpoint, Path cacheDir, String token, boolean offline) {

    public static final URI DEFAULT_ENDPOINT = URI.create("https://huggingface.co");
    private static final Set<String> TRUE_VALUES = Set.of("1", "on", "yes", "true");

    public HubSettings {
        if (endpoint == null) {
            endpoint = DEFAULT_ENDPOINT;
        }
        String text = endpoint.toString();
        if (text.endsWith("/")) {
            endpoint = URI.create(text.substring(0, text.length() - 1));
        }
        if (cacheDir == null) {
            throw new IllegalArgumentException("cacheDir is required");
        }
        if (token != null && token.isBlank()) {
            token = null;
        }
    }

    /** Settings from this process's environment and the user's home folder. */
    public static HubSettings fromEnvironment() {
        return fromEnvironment(System.getenv(), Path.of(System.getProperty("user.home")));
    }

    /**
     * Same precedence as huggingface_hub: {@code HF_HUB_CACHE}, else {@code HF_HOME/hub}, else
     * {@code XDG_CACHE_HOME/huggingface/hub}, else {@code ~/.cache/huggingface/hub}; the token from {@code HF_TOKEN},
     * else the file {@code HF_TOKEN_PATH}, else {@code HF_HOME/token}.
     */
    public static HubSettings fromEnvironment(Map<String, String> env, Path userHome) {
        URI endpoint = present(env.get("HF_ENDPOINT")) ? URI.create(env.get("HF_ENDPOINT").trim()) : DEFAULT_ENDPOINT;
        Path hfHome = present(env.get("HF_HOME")) ? Path.of(env.get("HF_HOME"))
                : present(env.get("XDG_CACHE_HOME")) ? Path.of(env.get("XDG_CACHE_HOME"), "huggingface")
                : userHome.resolve(".cache").resolve("huggingface");
        Path cacheDir = present(env.get("HF_HUB_CACHE")) ? Path.of(env.get("HF_HUB_CACHE")) : hfHome.resolve("hub");
        String token = present(env.get("HF_TOKEN")) ? env.get("HF_TOKEN").trim() : null;
        if (token == null) {
            Path tokenFile = present(env.get("HF_TOKEN_PATH")) ? Path.of(env.get("HF_TOKEN_PATH")) : hfHome.resolve("token");
            token = readToken(tokenFile);
        }
        String offline = env.get("HF_HUB_OFFLINE");
        boolean isOffline = offline != null && TRUE_VALUES.contains(offline.trim().toLowerCase(Locale.ROOT));
        return new HubSettings(endpoint, cacheDir, token, isOffline);
    }

    public HubSettings withOffline(boolean newOffline) {
        return new HubSettings(endpoint, cacheDir, token, newOffline);
    }

    public HubSettings withToken(String newToken) {
        return new HubSettings(endpoint, cacheDir, newToken, offline);
    }

    private static String readToken(Path tokenFile) {
        if (!Files.isRegularFile(tokenFile)) {
            return null;
        }
        try {
            String token = Files.readString(tokenFile, StandardCharsets.UTF_8).trim();
            return token.isEmpty() ? null : token;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the Hugging Face token file " + tokenFile, e);
        }
    }

    private static boolean present(String value) {
        return value != null && !value.isBlank();
    }

    /** Never print the token itself. */
    @Override
    public String toString() {
        return "HubSettings[endpoint=" + endpoint + ", cacheDir=" + cacheDir + ", token=" + (token == null ? "none" : "set")
                + ", offline=" + offline + "]";
    }
}
