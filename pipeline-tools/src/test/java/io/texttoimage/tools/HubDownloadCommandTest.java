package io.texttoimage.tools;

import io.texttoimage.hub.FakeHub;
import io.texttoimage.hub.HubSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HubDownloadCommandTest {

    @TempDir
    Path cacheDir;

    record Run(int exitCode, String out, String err) {
    }

    static Run run(HubSettings settings, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = HubDownloadCommand.execute(settings, new PrintWriter(out), new PrintWriter(err), args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void printsTheSnapshotFolderAndMapsErrorsToExitCodes() throws IOException {
        try (FakeHub hub = new FakeHub(FakeHub.TINY_MODEL, FakeHub.REPO, FakeHub.COMMIT)) {
            HubSettings settings = new HubSettings(hub.endpoint(), cacheDir, null, false);

            Run ok = run(settings, FakeHub.REPO, "--quiet");
            assertEquals(0, ok.exitCode(), ok.err());
            Path folder = Path.of(ok.out().strip());
            assertTrue(Files.isRegularFile(folder.resolve("unet/weights.pb")), ok.out());

            Run missing = run(settings, "test-org/nothing-here", "--quiet");
            assertEquals(4, missing.exitCode());
            assertTrue(missing.err().contains("test-org/nothing-here"), missing.err());

            assertEquals(2, run(settings, "not a repo").exitCode());
            assertEquals(2, run(settings, "--bogus").exitCode());
            assertEquals(0, run(settings, "--help").exitCode());

            Run offline = run(settings.withOffline(true), "test-org/other", "--quiet");
            assertEquals(3, offline.exitCode());
            assertTrue(offline.err().contains("HF_HUB_OFFLINE"), offline.err());
        }
    }
}
