package io.texttoimage.tools;

import io.texttoimage.hub.ByteSizes;
import io.texttoimage.hub.DownloadProgress;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A one-line progress bar per file: {@code unet/model.onnx  [########------------]  41%  1.4/3.4 GB  52.3 MB/s}.
 * On a terminal the line is redrawn in place; otherwise (logs, CI) a line is printed every 10 %.
 */
public final class ConsoleDownloadProgress implements DownloadProgress {

    private static final int BAR_WIDTH = 24;
    private static final long REDRAW_INTERVAL_NANOS = 100_000_000L;

    private final PrintStream out;
    private final boolean interactive;
    private long lastDrawNanos;
    private String lastFile;
    private int lastLoggedDecile = -1;

    public ConsoleDownloadProgress(PrintStream out, boolean interactive) {
        this.out = out;
        this.interactive = interactive;
    }

    /** Draws on standard error, redrawing in place when a console is attached. */
    public static ConsoleDownloadProgress toStandardError() {
        return new ConsoleDownloadProgress(System.err, System.console() != null);
    }

    @Override
    public synchronized void onProgress(String file, long bytesDone, long totalBytes, double bytesPerSecond) {
        if (!file.equals(lastFile)) {
            lastFile = file;
            lastLoggedDecile = -1;
            lastDrawNanos = 0;
        }
        if (interactive) {
            long now = System.nanoTime();
            if (now - lastDrawNanos >= REDRAW_INTERVAL_NANOS) {
                lastDrawNanos = now;
                out.print("\r" + line(file, bytesDone, totalBytes, bytesPerSecond) + "\u001b[K");
                out.flush();
            }
        } else if (totalBytes > 0) {
            int decile = (int) (bytesDone * 10 / totalBytes);
            if (decile != lastLoggedDecile) {
                lastLoggedDecile = decile;
                out.println(line(file, bytesDone, totalBytes, bytesPerSecond));
            }
        }
    }

    @Override
    public synchronized void onFileDone(String file, long totalBytes) {
        String done = line(file, totalBytes, totalBytes, -1);
        out.println(interactive ? "\r" + done + "\u001b[K" : done);
        out.flush();
        lastFile = null;
    }

    static String line(String file, long done, long total, double rate) {
        StringBuilder line = new StringBuilder(file).append("  [");
        int filled = total > 0 ? (int) Math.min(BAR_WIDTH, done * BAR_WIDTH / total) : 0;
        line.append("#".repeat(filled)).append("-".repeat(BAR_WIDTH - filled)).append("] ");
        if (total > 0) {
            line.append(String.format(Locale.ROOT, "%3d%%  %s/%s", done * 100 / total, ByteSizes.format(done),
                    ByteSizes.format(total)));
        } else {
            line.append(ByteSizes.format(done));
        }
        if (rate >= 0) {
            line.append("  ").append(ByteSizes.format((long) rate)).append("/s");
        }
        return line.toString();
    }
}
