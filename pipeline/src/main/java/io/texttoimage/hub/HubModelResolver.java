package io.texttoimage.hub;

import io.texttoimage.hub.HubApiClient.FileMetadata;
import io.texttoimage.hub.HubApiClient.RepoFile;
import io.texttoimage.hub.HubApiClient.RepoListing;
import io.texttoimage.pipeline.ModelFolder;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Turns a model reference into a local model folder: an existing folder is used as is; a Hugging Face repo id
 * ({@code org/name}) is downloaded (only the files the pipeline needs, as {@link ModelFolder} lists them) into the
 * standard huggingface_hub cache ({@link RepoCache}), so that a cache filled by Python tools is reused and ours is
 * readable by them. The Hub's answers come from {@link HubApiClient}, the bytes from {@link BlobDownloader}.
 */
public final class HubModelResolver {

    public static final String DEFAULT_MODEL = "onnx-community/stable-diffusion-v1-5-ONNX";
    public static final String DEFAULT_REVISION = "main";

    private static final System.Logger LOG = System.getLogger(HubModelResolver.class.getName());

    private final HubSettings settings;
    private HubApiClient api;
    private BlobDownloader downloader;

    public HubModelResolver(HubSettings settings) {
        this.settings = settings;
    }

    /**
     * The HTTP side, made on first use: a local folder never needs it, and creating the JDK's HTTP client costs a
     * few hundred milliseconds of a generator's cold start (docs/cold-start.md).
     */
    private synchronized HubApiClient api() {
        if (api == null) {
            HubHttp http = new HubHttp(settings);
            api = new HubApiClient(settings, http);
            downloader = new BlobDownloader(settings.cacheDir(), http);
        }
        return api;
    }

    private synchronized BlobDownloader downloader() {
        api();
        return downloader;
    }

    public HubSettings settings() {
        return settings;
    }

    /**
     * @param modelRefOrPath an existing local folder, or a repo id {@code org/name}; null or blank means
     *                       {@link #DEFAULT_MODEL}
     * @param revision       branch, tag or commit hash; null or blank means {@code main}
     * @param progress       download progress callback, or null
     * @return the model folder (for a repo: its snapshot folder in the cache)
     */
    public Path resolve(String modelRefOrPath, String revision, DownloadProgress progress) throws IOException {
        String reference = modelRefOrPath == null || modelRefOrPath.isBlank() ? DEFAULT_MODEL : modelRefOrPath.trim();
        Path localFolder = ModelReference.localFolder(reference);
        if (localFolder != null) {
            return localFolder;
        }
        ModelReference model = ModelReference.parse(reference, revision);
        RepoCache cache = new RepoCache(settings.cacheDir(), model.repoId());
        if (settings.offline()) {
            return cache.completeSnapshot(model.revision()).orElseThrow(() -> notCachedWhileOffline(model));
        }
        if (model.pinsACommit()) {
            Optional<Path> pinned = cache.completeSnapshot(model.revision());
            if (pinned.isPresent()) {
                return pinned.get(); // a commit never changes: no need to ask the Hub
            }
        }
        RepoListing listing;
        try {
            listing = api().listing(model.repoId(), model.revision());
        } catch (HubException e) {
            return cachedSnapshotInstead(cache, model, e);
        }
        fetchMissingFiles(model, listing, cache, progress == null ? DownloadProgress.none() : progress);
        cache.writeRef(model.revision(), listing.commit());
        return cache.snapshotDir(listing.commit());
    }

    /** The Hub cannot be reached: a complete snapshot of the revision from an earlier run will do, with a warning. */
    private static Path cachedSnapshotInstead(RepoCache cache, ModelReference model, HubException failure)
            throws HubException {
        if (failure.reason() != HubException.Reason.NETWORK) {
            throw failure;
        }
        Path cached = cache.completeSnapshot(model.revision()).orElseThrow(() -> failure);
        LOG.log(Level.WARNING, "{0} Using the cached snapshot {1}.", failure.getMessage(), cached);
        return cached;
    }

    private void fetchMissingFiles(ModelReference model, RepoListing listing, RepoCache cache, DownloadProgress progress)
            throws IOException {
        List<String> needed = ModelFolder.filesToLoad(listing.paths());
        List<String> missing = ModelFolder.missingRequiredFiles(needed);
        if (!missing.isEmpty()) {
            throw new HubException(HubException.Reason.NOT_A_PIPELINE, model.repoId() + " at revision '"
                    + model.revision() + "' is not an ONNX Stable Diffusion model (missing " + String.join(", ", missing)
                    + "): choose a repo in the diffusers ONNX layout, such as " + DEFAULT_MODEL + ".");
        }
        // model_index.json last: a snapshot that has it is complete, even if an earlier run was killed midway
        List<RepoFile> toFetch = listing.files().stream().filter(file -> needed.contains(file.path()))
                .sorted(Comparator.comparing((RepoFile file) -> file.path().equals(ModelFolder.MODEL_INDEX)))
                .toList();
        for (RepoFile file : toFetch) {
            if (!cache.isInSnapshot(listing.commit(), file)) {
                fetchFile(model.repoId(), listing.commit(), file, cache, progress);
            }
        }
    }

    /** Downloads the file's blob unless the cache has it (under the blob's lock), then links it into the snapshot. */
    private void fetchFile(String repoId, String commit, RepoFile file, RepoCache cache, DownloadProgress progress)
            throws IOException {
        FileMetadata metadata = api().fileMetadata(repoId, commit, file);
        Path blob = cache.blob(metadata.etag());
        Files.createDirectories(blob.getParent());
        try (BlobLock ignored = BlobLock.acquire(cache.lockFile(metadata.etag()))) {
            if (!cache.hasCompleteBlob(metadata.etag(), metadata.size())) {
                downloader().download(BlobDownloader.Source.of(repoId, file, metadata), blob, progress);
            }
        }
        cache.link(commit, file.path(), blob);
        progress.onFileDone(file.path(), Files.size(blob));
    }

    private HubException notCachedWhileOffline(ModelReference model) {
        return new HubException(HubException.Reason.OFFLINE_NOT_CACHED, "HF_HUB_OFFLINE is set and " + model.repoId()
                + " at revision '" + model.revision() + "' is not in the cache " + settings.cacheDir()
                + ": unset HF_HUB_OFFLINE to download it once, or pass a local model folder.");
    }

    @Override
    public String toString() {
        return "HubModelResolver[" + settings + "]";
    }
}
