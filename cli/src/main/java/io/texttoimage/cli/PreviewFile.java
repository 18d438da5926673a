package io.texttoimage.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * {@code --preview FILE}: keeps FILE the job's latest live preview (a small PNG, approximate colours, 1/8 of the
 * image's size), replaced atomically so that an image viewer watching it never reads half a file. Passes everything
 * else on to the listener it wraps. A preview that cannot be written is reported once and the watch goes on.
 */
final class PreviewFile implements JobProgressListener {

    private final JobProgressListener next;
    private final Path file;
    private final PrintWriter err;
    private boolean reported;
    private int written;

    PreviewFile(JobProgressListener next, Path file, PrintWriter err) {
        this.next = next;
        this.file = file;
        this.err = err;
    }

    @Override
    public void onSubmitted(Api.JobRecord job) {
        next.onSubmitted(job);
    }

    @Override
    public void onEvent(String eventName, Api.JobEvent event) {
        next.onEvent(eventName, event);
    }

    @Override
    public void onPreview(Api.Preview preview) {
        try {
            byte[] png = preview.imageBytes();
            Path target = file.toAbsolutePath();
            Files.createDirectories(target.getParent());
            Path partial = target.resolveSibling(target.getFileName() + ".part");
            Files.write(partial, png);
            Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            written++;
        } catch (IOException | IllegalArgumentException e) {
            if (!reported) {
                err.println("t2i: could not write the preview to " + file + ": " + e.getMessage());
                err.flush();
                reported = true;
            }
        }
        next.onPreview(preview);
    }

    @Override
    public void onFinished(Api.JobRecord job) {
        next.onFinished(job);
    }

    /** How many previews were written. */
    int written() {
        return written;
    }
}
