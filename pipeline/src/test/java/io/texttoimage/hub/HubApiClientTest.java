package io.texttoimage.hub;

import io.texttoimage.hub.HubApiClient.FileMetadata;
import io.texttoimage.hub.HubApiClient.RepoFile;
import io.texttoimage.hub.HubApiClient.RepoListing;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The listing and the resolve endpoint's HEAD against FakeHub, and how the Hub's refusals come back. */
class HubApiClientTest {

    @TempDir
    Path cacheDir;
    FakeHub hub;

    @BeforeEach
    void startHub() throws IOException {
        hub = new FakeHub(FakeHub.TINY_MODEL, FakeHub.REPO, FakeHub.COMMIT);
    }

    @AfterEach
    void stopHub() {
        hub.close();
    }

    HubApiClient client(String token) {
        HubSettings settings = new HubSettings(hub.endpoint(), cacheDir, token, false);
        return new HubApiClient(settings, new HubHttp(settings));
    }

    RepoFile file(RepoListing listing, String path) {
        return listing.files().stream().filter(f -> f.path().equals(path)).findFirst().orElseThrow();
    }

    @Test
    void theListingNamesTheCommitAndEveryFileWithItsChecksum() throws IOException {
        RepoListing listing = client(null).listing(FakeHub.REPO, "main");

        assertEquals(FakeHub.COMMIT, listing.commit());
        assertTrue(listing.paths().contains("README.md"), "the listing is the whole repo: " + listing.paths());
        RepoFile weights = file(listing, "unet/weights.pb");
        assertTrue(weights.isLfs());
        assertEquals(FakeHub.sha256(hub.content("unet/weights.pb")), weights.sha256());
        assertEquals(hub.content("unet/weights.pb").length, weights.size());
        RepoFile index = file(listing, "model_index.json");
        assertFalse(index.isLfs());
        assertEquals(FakeHub.gitBlobId(hub.content("model_index.json")), index.blobId());
    }

    @Test
    void lfsFilesAreOnTheCdnAndSmallFilesOnTheHub() throws IOException {
        HubApiClient client = client(null);
        RepoListing listing = client.listing(FakeHub.REPO, "main");

        FileMetadata weights = client.fileMetadata(FakeHub.REPO, listing.commit(), file(listing, "unet/weights.pb"));
        assertEquals(FakeHub.sha256(hub.content("unet/weights.pb")), weights.etag(), "X-Linked-Etag wins over ETag");
        assertEquals(hub.content("unet/weights.pb").length, weights.size());
        assertEquals(hub.cdnUri("unet/weights.pb"), weights.downloadUri());
        assertEquals(FakeHub.COMMIT, weights.commit());

        FileMetadata index = client.fileMetadata(FakeHub.REPO, listing.commit(), file(listing, "model_index.json"));
        assertEquals(FakeHub.gitBlobId(hub.content("model_index.json")), index.etag());
        assertEquals(URI.create(hub.endpoint() + "/" + FakeHub.REPO + "/resolve/" + FakeHub.COMMIT + "/model_index.json"),
                index.downloadUri());
    }

    @Test
    void gatedRepoAsksForHfToken() throws IOException {
        hub.requireToken("hf_secret");

        HubException error = assertThrows(HubException.class, () -> client(null).listing(FakeHub.REPO, "main"));
        assertEquals(HubException.Reason.UNAUTHORIZED, error.reason());
        assertTrue(error.getMessage().contains("HF_TOKEN"), error.getMessage());

        HubException wrongToken = assertThrows(HubException.class, () -> client("hf_wrong").listing(FakeHub.REPO, "main"));
        assertTrue(wrongToken.getMessage().contains("token in HF_TOKEN was rejected"), wrongToken.getMessage());

        assertEquals(FakeHub.COMMIT, client("hf_secret").listing(FakeHub.REPO, "main").commit());
    }

    @Test
    void unknownRepoAndRevisionAreNotFound() {
        HubException repo = assertThrows(HubException.class, () -> client(null).listing("test-org/missing", "main"));
        assertEquals(HubException.Reason.NOT_FOUND, repo.reason());
        assertTrue(repo.getMessage().contains("test-org/missing"), repo.getMessage());

        HubException revision = assertThrows(HubException.class, () -> client(null).listing(FakeHub.REPO, "v9"));
        assertEquals(HubException.Reason.NOT_FOUND, revision.reason());
        assertTrue(revision.getMessage().contains("'v9'"), revision.getMessage());
    }

    @Test
    void anUnreachableHubIsANetworkError() throws IOException {
        URI closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = URI.create("http://127.0.0.1:" + socket.getLocalPort());
        }
        HubSettings settings = new HubSettings(closedPort, cacheDir, null, false);
        HubApiClient unreachable = new HubApiClient(settings, new HubHttp(settings));

        HubException error = assertThrows(HubException.class, () -> unreachable.listing(FakeHub.REPO, "main"));
        assertEquals(HubException.Reason.NETWORK, error.reason());
        assertTrue(error.getMessage().startsWith("Cannot reach the Hugging Face Hub"), error.getMessage());
    }

    @Test
    void etagsLoseTheirQuotesAndWeakMarker() {
        assertEquals("abc", HubApiClient.normalizeEtag("W/\"abc\""));
        assertEquals("abc", HubApiClient.normalizeEtag(" \"abc\" "));
        assertEquals("abc", HubApiClient.normalizeEtag("abc"));
    }
}
