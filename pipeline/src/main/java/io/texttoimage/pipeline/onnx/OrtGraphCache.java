package io.texttoimage.pipeline.onnx;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * A folder of ONNX graphs that ONNX Runtime has already optimised, one entry per {@link OrtGraphCacheKey}: loading
 * one skips the optimisation that dominates session creation at level ALL (about 10 s for the SD 1.5 UNet on 2 cores).
 *
 * <p>An entry is a folder {@code <component>-<source hash>-<key hash>/} holding {@value #MODEL_FILE}, its external initializers
 * {@value #WEIGHTS_FILE} and {@value #KEY_FILE} (the full key text plus the size of every file). Entries are written
 * in a private temporary folder and renamed into place, so readers never see half an entry and two writers of the
 * same key leave one complete entry. Anything unexpected (missing or resized files, another key, a graph ONNX
 * Runtime refuses) makes the entry stale: it is removed with a warning and the caller builds from the source graph.
 * The cache never fails a model load: an unwritable folder only means nothing is stored.
 */
public final class OrtGraphCache {

    public static final String MODEL_FILE = "model.onnx";
    public static final String WEIGHTS_FILE = "weights.bin";
    public static final String KEY_FILE = "key.txt";
    private static final String TEMP_PREFIX = ".writing-";
    /** Far longer than the slowest write measured (the UNet's, about 30 s on 2 loaded cores). */
    static final Duration ABANDONED_AFTER = Duration.ofHours(1);
    private static final System.Logger LOG = System.getLogger(OrtGraphCache.class.getName());

    private final Path root;

    public OrtGraphCache(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    /**
     * The default folder: {@code ort-graph-cache} beside the Hugging Face hub cache ({@code HF_HOME/ort-graph-cache}),
     * so it lives on whatever volume holds the models.
     */
    public static Path defaultFolder(Path hubCacheDir) {
        Path absolute = hubCacheDir.toAbsolutePath().normalize();
        return absolute.getParent() == null ? absolute.resolve("ort-graph-cache")
                : absolute.resolveSibling("ort-graph-cache");
    }

    public Path root() {
        return root;
    }

    /** The stored optimised graph for {@code key}, or empty when there is none or it was stale (then removed). */
    public Optional<Path> find(OrtGraphCacheKey key) {
        Path entry = root.resolve(key.entryName());
        if (!Files.isDirectory(entry)) {
            return Optional.empty();
        }
        String problem = check(entry, key);
        if (problem != null) {
            discard(key, problem);
            return Optional.empty();
        }
        return Optional.of(entry.resolve(MODEL_FILE));
    }

    /** Removes the entry of {@code key} (e.g. ONNX Runtime could not load it), saying why. */
    public void discard(OrtGraphCacheKey key, String reason) {
        Path entry = root.resolve(key.entryName());
        LOG.log(Level.WARNING, "Optimised-graph cache entry {0} is unusable ({1}); removing it and rebuilding from the "
                + "source graph", entry, reason);
        deleteQuietly(entry);
    }

    /**
     * A private folder for ONNX Runtime to write the optimised graph of {@code key} into, or empty (with a warning)
     * when the cache folder cannot be written: the model then loads as without a cache.
     */
    public Optional<Pending> begin(OrtGraphCacheKey key) {
        try {
            Files.createDirectories(root);
            removeAbandonedWrites(key);
            Path temp = Files.createDirectory(root.resolve(TEMP_PREFIX + key.entryName() + "-" + UUID.randomUUID()));
            return Optional.of(new Pending(key, temp));
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, "Cannot write to the optimised-graph cache {0} ({1}); {2} is optimised at every "
                    + "start", root, e.toString(), key.component());
            return Optional.empty();
        }
    }

    /** One entry being written; {@link #commit} publishes it, {@link #abandon} throws it away. */
    public final class Pending {
        private final OrtGraphCacheKey key;
        private final Path folder;

        private Pending(OrtGraphCacheKey key, Path folder) {
            this.key = key;
            this.folder = folder;
        }

        /** Where ONNX Runtime writes the optimised graph (its external initializers go beside it). */
        public Path model() {
            return folder.resolve(MODEL_FILE);
        }

        /**
         * Records the key and file sizes, then renames the folder into place; if another writer got there first its
         * entry stays and this one is dropped. Older entries of the same component (other keys) are removed, so the
         * cache holds one graph per component. Returns whether this writer's entry was published.
         */
        public boolean commit() {
            Path entry = root.resolve(key.entryName());
            try {
                if (!Files.isRegularFile(model())) {
                    throw new IOException("ONNX Runtime wrote no " + MODEL_FILE);
                }
                Files.writeString(folder.resolve(KEY_FILE), key.text() + sizes(folder), StandardCharsets.UTF_8);
                Files.move(folder, entry, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException | DirectoryNotEmptyException alreadyThere) {
                abandon();
                return false;
            } catch (IOException | RuntimeException e) {
                LOG.log(Level.WARNING, "Cannot store the optimised graph of {0} in {1} ({2})", key.component(), root,
                        e.toString());
                abandon();
                return false;
            }
            removeOtherEntries(key);
            return true;
        }

        public void abandon() {
            deleteQuietly(folder);
        }
    }

    private static String check(Path entry, OrtGraphCacheKey key) {
        Path keyFile = entry.resolve(KEY_FILE);
        if (!Files.isRegularFile(keyFile)) {
            return "no " + KEY_FILE;
        }
        try {
            String stored = Files.readString(keyFile, StandardCharsets.UTF_8);
            if (!stored.startsWith(key.text())) {
                return "it was made for another key";
            }
            String expectedSizes = sizes(entry);
            if (!stored.substring(key.text().length()).equals(expectedSizes)) {
                return "its files changed since it was written";
            }
            return null;
        } catch (IOException | RuntimeException e) {
            return e.toString();
        }
    }

    /** "file NAME SIZE" per file of the entry except the key file, sorted. */
    private static String sizes(Path folder) throws IOException {
        StringBuilder sizes = new StringBuilder();
        try (Stream<Path> files = Files.list(folder)) {
            for (Path file : files.sorted().toList()) {
                if (!file.getFileName().toString().equals(KEY_FILE)) {
                    sizes.append("file ").append(file.getFileName()).append(' ').append(Files.size(file)).append('\n');
                }
            }
        }
        return sizes.toString();
    }

    /**
     * Temporary folders of this key older than {@link #ABANDONED_AFTER}: left by a process that died while writing
     * (a UNet is 3.4 GB, so they must not pile up). Younger ones may belong to a writer still at work.
     */
    private void removeAbandonedWrites(OrtGraphCacheKey key) throws IOException {
        String prefix = TEMP_PREFIX + key.entryName() + "-";
        FileTime before = FileTime.from(Instant.now().minus(ABANDONED_AFTER));
        try (Stream<Path> entries = Files.list(root)) {
            for (Path temp : entries.filter(p -> p.getFileName().toString().startsWith(prefix)).toList()) {
                if (Files.getLastModifiedTime(temp).compareTo(before) < 0) {
                    LOG.log(Level.INFO, "Removing {0}, an optimised graph whose writer did not finish", temp);
                    deleteQuietly(temp);
                }
            }
        }
    }

    private void removeOtherEntries(OrtGraphCacheKey key) {
        String prefix = key.groupName() + "-";
        try (Stream<Path> entries = Files.list(root)) {
            List<Path> others = entries.filter(p -> {
                String name = p.getFileName().toString();
                return name.startsWith(prefix) && !name.equals(key.entryName())
                        && name.substring(prefix.length()).matches("[0-9a-f]{16}");
            }).toList();
            for (Path other : others) {
                LOG.log(Level.INFO, "Removing the older optimised graph {0}", other);
                deleteQuietly(other);
            }
        } catch (IOException | UncheckedIOException e) {
            LOG.log(Level.DEBUG, "Cannot list {0}: {1}", root, e);
        }
    }

    private static void deleteQuietly(Path path) {
        if (!Files.exists(path)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(path)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException | UncheckedIOException e) {
            LOG.log(Level.WARNING, "Cannot remove {0} ({1})", path, e.toString());
        }
    }
}
