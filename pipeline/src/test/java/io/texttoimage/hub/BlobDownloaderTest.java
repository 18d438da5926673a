package io.texttoimage.hub;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One blob from FakeHub's CDN: resuming with Range, verifying, and what is left on disk after a failure. */
class BlobDownloaderTest {

    @TempDir
    Path blobs;
    FakeHub hub;
    BlobDownloader downloader;

    @BeforeEach
    void startHub() throws IOException {
        hub = new FakeHub(FakeHub.TINY_MODEL, FakeHub.REPO, FakeHub.COMMIT);
        downloader = new BlobDownloader(blobs, new HubHttp(new HubSettings(hub.endpoint(), blobs, null, false)));
    }

    @AfterEach
    void stopHub() {
        hub.close();
    }

    /** An LFS file as the resolver hands it over: CDN URL, size and sha256 as the Hub announces them. */
    BlobDownloader.Source lfsFile(String path) {
        byte[] content = hub.content(path);
        return new BlobDownloader.Source(FakeHub.REPO, path, hub.cdnUri(path), content.length, FakeHub.sha256(content));
    }

    Path blobOf(String path) {
        return blobs.resolve(FakeHub.sha256(hub.content(path)));
    }

    Path download(String path) throws IOException {
        Path blob = blobOf(path);
        downloader.download(lfsFile(path), blob, DownloadProgress.none());
        return blob;
    }

    @Test
    void interruptedDownloadResumesWithRange() throws IOException {
        byte[] weights = hub.content("unet/weights.pb");
        hub.dropConnectionOnce("unet/weights.pb", 700_000);

        Path blob = download("unet/weights.pb");

        assertArrayEquals(weights, Files.readAllBytes(blob));
        List<FakeHub.Request> cdnGets = hub.requests().stream()
                .filter(r -> r.method().equals("GET") && r.path().equals("/cdn/" + FakeHub.sha256(weights))).toList();
        assertEquals(2, cdnGets.size(), "one cut-off GET, one resumed GET: " + cdnGets);
        assertEquals(null, cdnGets.get(0).range());
        String resumedRange = cdnGets.get(1).range();
        assertNotNull(resumedRange, "the second GET asks only for the rest");
        long resumedAt = Long.parseLong(resumedRange.replace("bytes=", "").replace("-", ""));
        assertTrue(resumedAt > 0 && resumedAt <= 700_000, "resumed at " + resumedAt);
    }

    @Test
    void partialFileLeftByAnEarlierRunIsContinued() throws IOException {
        byte[] decoder = hub.content("vae_decoder/model.onnx");
        Files.write(blobs.resolve(FakeHub.sha256(decoder) + ".incomplete"), Arrays.copyOf(decoder, 1000));

        Path blob = download("vae_decoder/model.onnx");

        assertArrayEquals(decoder, Files.readAllBytes(blob));
        assertTrue(hub.requests().stream().anyMatch(r -> "bytes=1000-".equals(r.range())), "asked for the rest only");
    }

    @Test
    void aServerThatIgnoresRangeMakesItStartOver() throws IOException {
        byte[] decoder = hub.content("vae_decoder/model.onnx");
        Files.write(blobs.resolve(FakeHub.sha256(decoder) + ".incomplete"), new byte[1000]); // not the file's start
        hub.ignoreRanges();

        Path blob = download("vae_decoder/model.onnx");

        assertArrayEquals(decoder, Files.readAllBytes(blob), "the 200 answer replaced the partial file");
    }

    @Test
    void checksumMismatchDeletesTheFileAndSaysToRetry() {
        hub.corrupt("text_encoder/model.onnx");
        Path blob = blobOf("text_encoder/model.onnx");

        HubException error = assertThrows(HubException.class, () -> download("text_encoder/model.onnx"));

        assertEquals(HubException.Reason.CORRUPT_DOWNLOAD, error.reason());
        assertTrue(error.getMessage().contains("text_encoder/model.onnx") && error.getMessage().contains("run again"),
                error.getMessage());
        assertFalse(Files.exists(blob));
        assertFalse(Files.exists(blob.resolveSibling(blob.getFileName() + ".incomplete")));
    }

    @Test
    void progressCountsTheBytesOnDiskAgainstTheAnnouncedSize() throws IOException {
        long size = hub.content("unet/weights.pb").length;
        long[] last = new long[2];
        downloader.download(lfsFile("unet/weights.pb"), blobOf("unet/weights.pb"), (file, done, total, rate) -> {
            assertEquals("unet/weights.pb", file);
            assertTrue(done <= total && rate > 0, done + "/" + total + " at " + rate);
            last[0] = done;
            last[1] = total;
        });
        assertEquals(size, last[0]);
        assertEquals(size, last[1]);
    }

    @Test
    void theCdnNeverSeesTheToken() throws IOException {
        HubSettings withToken = new HubSettings(hub.endpoint(), blobs, "hf_secret", false);
        new BlobDownloader(blobs, new HubHttp(withToken))
                .download(lfsFile("unet/model.onnx"), blobOf("unet/model.onnx"), DownloadProgress.none());
        assertFalse(hub.requests().isEmpty());
        for (FakeHub.Request request : hub.requests()) {
            assertNull(request.authorization(), request.toString());
        }
    }
}
