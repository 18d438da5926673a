package io.texttoimage.hub;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * Downloads one blob: into {@code <blob>.incomplete} first, resuming with {@code Range} whatever is already there
 * (from a dropped connection, retried up to {@value #MAX_RESUME_ATTEMPTS} times, or from an earlier run that was
 * killed), after checking the disk has room for the rest; then verifies size and sha256 and only then moves the file
 * to its final name, so a blob in the cache is always complete. The caller holds the blob's {@link BlobLock}.
 */
final class BlobDownloader {

    private static final System.Logger LOG = System.getLogger(BlobDownloader.class.getName());
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final int MAX_RESUME_ATTEMPTS = 5;

    /**
     * What to fetch and what it must turn out to be.
     *
     * @param repoId the repo, for messages
     * @param path   the file's path in the repo, for messages and progress
     * @param uri    where the bytes are (the CDN for LFS files)
     * @param size   the expected size, or -1 when the Hub did not say
     * @param sha256 the expected checksum, or null when there is none to check
     */
    record Source(String repoId, String path, URI uri, long size, String sha256) {

        /** LFS files are checked against the listing's sha256; other files against their ETag when it is a sha256. */
        static Source of(String repoId, HubApiClient.RepoFile file, HubApiClient.FileMetadata metadata) {
            String sha256 = file.isLfs() ? file.sha256() : SHA256.matcher(metadata.etag()).matches() ? metadata.etag() : null;
            return new Source(repoId, file.path(), metadata.downloadUri(), metadata.size(), sha256);
        }
    }

    /** One download of a file across its attempts; the rate counts bytes received, not resumed ones. */
    private static final class Transfer {
        final Source source;
        final Path incomplete;
        final DownloadProgress progress;
        final long startedNanos;
        long received;

        Transfer(Source source, Path incomplete, DownloadProgress progress, long startedNanos) {
            this.source = source;
            this.incomplete = incomplete;
            this.progress = progress;
            this.startedNanos = startedNanos;
        }
    }

    private final Path cacheDir;
    private final HubHttp http;

    BlobDownloader(Path cacheDir, HubHttp http) {
        this.cacheDir = cacheDir;
        this.http = http;
    }

    void download(Source source, Path blob, DownloadProgress progress) throws IOException {
        Path incomplete = blob.resolveSibling(blob.getFileName() + ".incomplete");
        checkFreeSpace(incomplete, source.size());
        fetchToFile(source, incomplete, progress);
        verify(source, incomplete);
        moveIntoPlace(incomplete, blob);
    }

    /** Streams the file into {@code incomplete}, continuing where an earlier attempt (or process) stopped. */
    private void fetchToFile(Source source, Path incomplete, DownloadProgress progress) throws IOException {
        Transfer transfer = new Transfer(source, incomplete, progress, System.nanoTime());
        IOException lastFailure = null;
        for (int attempt = 0; attempt <= MAX_RESUME_ATTEMPTS; attempt++) {
            long have = Files.exists(incomplete) ? Files.size(incomplete) : 0;
            if (source.size() >= 0 && have > source.size()) {
                Files.delete(incomplete); // longer than the file can be: not ours to continue
                have = 0;
            }
            if (source.size() >= 0 && have == source.size()) {
                return;
            }
            try {
                fetchRange(transfer, have);
                return;
            } catch (HubException e) {
                throw e;
            } catch (IOException e) {
                if (isDiskFull(e)) {
                    throw diskFull(incomplete, e);
                }
                if (HubHttp.isUnreachable(e)) {
                    throw http.unreachable(e);
                }
                lastFailure = e;
                LOG.log(Level.WARNING, "Download of {0} was interrupted ({1}); resuming", source.path(), e.toString());
            }
        }
        throw new HubException(HubException.Reason.NETWORK, "The download of " + source.path() + " kept failing ("
                + lastFailure.getMessage() + "): check your network and retry; the part already downloaded is kept.",
                lastFailure);
    }

    /** One GET, with {@code Range} when part of the file is already on disk. */
    private void fetchRange(Transfer transfer, long have) throws IOException {
        Source source = transfer.source;
        HttpResponse<InputStream> response = http.download(source.uri(), have);
        int status = response.statusCode();
        if (status == 206) {
            writeBody(response.body(), transfer, have, true);
        } else if (status == 200) {
            writeBody(response.body(), transfer, 0, false); // the server ignored Range: start over
        } else {
            response.body().close();
            if (status != 416 || source.size() < 0 || have != source.size()) {
                throw http.httpError(response, null, null, source.path());
            }
            // 416 with everything already on disk: nothing left to fetch
        }
    }

    /** Writes the body after the {@code have} bytes already there, or over them when {@code append} is false. */
    private static void writeBody(InputStream body, Transfer transfer, long have, boolean append) throws IOException {
        byte[] buffer = new byte[1 << 16];
        try (InputStream in = body;
             OutputStream out = Files.newOutputStream(transfer.incomplete, StandardOpenOption.CREATE,
                     StandardOpenOption.WRITE, append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
            int read;
            long done = have;
            while ((read = in.read(buffer)) >= 0) {
                out.write(buffer, 0, read);
                done += read;
                transfer.received += read;
                double seconds = Math.max(1e-3, (System.nanoTime() - transfer.startedNanos) / 1e9);
                transfer.progress.onProgress(transfer.source.path(), done, transfer.source.size(),
                        transfer.received / seconds);
            }
        }
    }

    private static void verify(Source source, Path incomplete) throws IOException {
        long actualSize = Files.size(incomplete);
        String problem = null;
        if (source.size() >= 0 && actualSize != source.size()) {
            problem = "it has " + actualSize + " bytes instead of " + source.size();
        } else if (source.sha256() != null) {
            String actualSha = sha256(incomplete);
            if (!actualSha.equals(source.sha256())) {
                problem = "its sha256 is " + actualSha + " instead of " + source.sha256();
            }
        }
        if (problem != null) {
            Files.deleteIfExists(incomplete);
            throw new HubException(HubException.Reason.CORRUPT_DOWNLOAD, "The download of " + source.path() + " from "
                    + source.repoId() + " is corrupt (" + problem + ") and was deleted: run again to download it afresh.");
        }
    }

    static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[1 << 16];
            int read;
            while ((read = in.read(buffer)) >= 0) {
                digest.update(buffer, 0, read);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("Every JDK has SHA-256", e);
        }
    }

    private static void moveIntoPlace(Path incomplete, Path blob) throws IOException {
        try {
            Files.move(incomplete, blob, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(incomplete, blob, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private void checkFreeSpace(Path incomplete, long size) throws IOException {
        if (size < 0) {
            return;
        }
        long have = Files.exists(incomplete) ? Files.size(incomplete) : 0;
        long free = Files.getFileStore(incomplete.getParent()).getUsableSpace();
        if (size - have > free) {
            throw new HubException(HubException.Reason.DISK_FULL, "Not enough disk space for " + incomplete.getFileName()
                    + " (" + ByteSizes.format(size - have) + " needed, " + ByteSizes.format(free)
                    + " free in " + cacheDir + "): free some space or set HF_HUB_CACHE to a larger disk.");
        }
    }

    private static boolean isDiskFull(IOException e) {
        String message = String.valueOf(e.getMessage());
        return message.contains("No space left") || message.contains("not enough space") || message.contains("Disk quota");
    }

    private static HubException diskFull(Path incomplete, IOException cause) {
        return new HubException(HubException.Reason.DISK_FULL, "Writing " + incomplete + " failed (" + cause.getMessage()
                + "): free some disk space or set HF_HUB_CACHE to a larger disk, then run again to resume.", cause);
    }
}
