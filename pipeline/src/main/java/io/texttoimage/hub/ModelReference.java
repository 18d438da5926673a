package io.texttoimage.hub;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * A model on the Hub as a caller names it: a repo id {@code org/name} and a revision (branch, tag or commit hash).
 * An existing local folder is not a reference at all: {@link #localFolder} recognises it first, and it always wins.
 */
record ModelReference(String repoId, String revision) {

    private static final Pattern REPO_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,95}/[A-Za-z0-9][A-Za-z0-9._-]{0,95}");
    private static final Pattern COMMIT_HASH = Pattern.compile("[0-9a-f]{40}");

    /** The folder {@code reference} names when it is an existing directory, else null. */
    static Path localFolder(String reference) {
        try {
            Path path = Path.of(reference);
            return Files.isDirectory(path) ? path : null;
        } catch (InvalidPathException e) {
            return null;
        }
    }

    /**
     * @param reference a repo id {@code org/name}
     * @param revision  branch, tag or commit hash; null or blank means {@link HubModelResolver#DEFAULT_REVISION}
     */
    static ModelReference parse(String reference, String revision) throws HubException {
        // "--" would break the cache's models--org--name folder names; ".." must not climb out of the cache
        if (!REPO_ID.matcher(reference).matches() || reference.contains("--") || reference.contains("..")) {
            throw new HubException(HubException.Reason.INVALID_REFERENCE, "'" + reference
                    + "' is neither an existing folder nor a Hugging Face repo id like org/name: check the path or the id.");
        }
        String rev = revision == null || revision.isBlank() ? HubModelResolver.DEFAULT_REVISION : revision.trim();
        return new ModelReference(reference, rev);
    }

    /** A commit hash names contents that never change, so a complete snapshot of it needs no request to the Hub. */
    boolean pinsACommit() {
        return isCommitHash(revision);
    }

    static boolean isCommitHash(String text) {
        return text != null && COMMIT_HASH.matcher(text).matches();
    }
}
