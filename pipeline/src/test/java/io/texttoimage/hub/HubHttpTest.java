package io.texttoimage.hub;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The token decision that keeps HF_TOKEN away from CDNs: same scheme, host and port as HF_ENDPOINT, or nothing. */
class HubHttpTest {

    static Optional<String> authorizationFor(String endpoint, String uri) {
        HubHttp http = new HubHttp(new HubSettings(URI.create(endpoint), Path.of("unused"), "hf_secret", false));
        return http.request(URI.create(uri), null).GET().build().headers().firstValue("Authorization");
    }

    @Test
    void theTokenGoesOnlyToTheHubsOwnOrigin() {
        assertEquals(Optional.of("Bearer hf_secret"), authorizationFor("http://127.0.0.1:8123", "http://127.0.0.1:8123/api/models/x"));
        assertEquals(Optional.empty(), authorizationFor("http://127.0.0.1:8123", "http://127.0.0.1:8124/cdn/abc"));
        assertEquals(Optional.empty(), authorizationFor("https://huggingface.co", "https://cdn-lfs.huggingface.co/repos/x"));
        assertEquals(Optional.empty(), authorizationFor("https://huggingface.co", "http://huggingface.co/x"));
        assertEquals(Optional.of("Bearer hf_secret"), authorizationFor("https://huggingface.co", "https://HuggingFace.co:443/x"));
    }

    @Test
    void noTokenNoHeader() {
        HubHttp http = new HubHttp(new HubSettings(URI.create("https://huggingface.co"), Path.of("unused"), null, false));
        assertEquals(Optional.empty(),
                http.request(URI.create("https://huggingface.co/x"), null).GET().build().headers().firstValue("Authorization"));
    }
}
