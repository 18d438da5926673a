package io.texttoimage.tools;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConsoleDownloadProgressTest {

    @Test
    void lineShowsBarPercentBytesAndRate() {
        assertEquals("unet/model.onnx  [######------------------]  25%  1.0 MB/4.0 MB  2.0 MB/s",
                ConsoleDownloadProgress.line("unet/model.onnx", 1 << 20, 4 << 20, 2 << 20));
        assertEquals("x  [------------------------] 512 B", ConsoleDownloadProgress.line("x", 512, -1, -1));
    }

    @Test
    void logsPrintOneLinePerTenPercent() {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        ConsoleDownloadProgress progress = new ConsoleDownloadProgress(new PrintStream(buffer, true, StandardCharsets.UTF_8), false);
        for (long done = 0; done <= 1000; done += 5) {
            progress.onProgress("vae_decoder/model.onnx", done, 1000, 100);
        }
        progress.onFileDone("vae_decoder/model.onnx", 1000);
        String[] lines = buffer.toString(StandardCharsets.UTF_8).split("\n");
        assertEquals(12, lines.length, "0 %, 10 % … 100 %, then the done line: " + String.join("|", lines));
        assertTrue(lines[11].contains("100%  1000 B/1000 B") && !lines[11].contains("/s"), lines[11]);
        assertTrue(!buffer.toString(StandardCharsets.UTF_8).contains("\r"), "no carriage returns in logs");
    }
}
