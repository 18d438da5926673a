package io.texttoimage.localstack.service;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The database and the messaging prefix of the stack that keeps its data in one folder. Two stacks on one machine
 * (two data folders) that both use the machine's PostgreSQL and RabbitMQ must not share them: one stack's generator
 * would take the other's jobs and store its images in the other's S3. So both names carry a short hash of the data
 * folder's absolute path; the same folder always gets the same names, so its jobs are still there after a restart.
 *
 * @param database        e.g. {@code texttoimage_1a2b3c4d}
 * @param messagingPrefix e.g. {@code t2i-1a2b3c4d}
 */
public record StackNames(String database, String messagingPrefix) {

    public static StackNames of(Path dataDir) {
        String hash = shortHash(dataDir.toAbsolutePath().normalize().toString());
        return new StackNames("texttoimage_" + hash, "t2i-" + hash);
    }

    /** The first 8 hex digits of SHA-256: 4 billion values, plenty for the data folders of one machine. */
    private static String shortHash(String text) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 4);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("Every JDK has SHA-256", e);
        }
    }
}
