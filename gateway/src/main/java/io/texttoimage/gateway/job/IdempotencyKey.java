package io.texttoimage.gateway.job;

import java.lang.reflect.RecordComponent;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;

/**
 * A client's {@code Idempotency-Key} for one submission, with the fingerprint of the request it came with: the same
 * key and fingerprint replay the original job, the same key with another fingerprint is refused.
 *
 * @param owner       whose key it is ({@code auth.Caller#owner()}): keys of different owners never collide, and
 *                    one owner's key never replays another owner's job
 * @param requestHash SHA-256 (hex) of the parsed request, see {@link #fingerprint}
 */
public record IdempotencyKey(String owner, String key, String requestHash) {
    public static final int MAX_LENGTH = 255;

    /**
     * The key of a submission, or empty without the header (an empty value counts as absent: HTTP stacks differ in
     * whether they pass one on); throws {@link JobException.InvalidIdempotencyKey}.
     */
    public static Optional<IdempotencyKey> of(String owner, String header, SubmitJobRequest request) {
        if (header == null || header.isEmpty()) {
            return Optional.empty();
        }
        if (header.length() > MAX_LENGTH || !header.chars().allMatch(c -> c > 0x20 && c < 0x7F)) {
            throw new JobException.InvalidIdempotencyKey(header.length());
        }
        return Optional.of(new IdempotencyKey(owner, header, fingerprint(request)));
    }

    /**
     * SHA-256 over every field the request gives, each as its name, length and text, so two requests have the same
     * fingerprint only when they ask for the same thing: JSON spacing and field order do not matter, an absent field
     * and its default do. Absent fields add nothing, so a field a later version adds (as {@code webhook} and
     * {@code previews} were) leaves the fingerprint of requests without it as it was, and a client retrying with its
     * key across an upgrade still gets its job.
     */
    static String fingerprint(SubmitJobRequest request) {
        try {
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            for (RecordComponent component : SubmitJobRequest.class.getRecordComponents()) {
                Object value = component.getAccessor().invoke(request);
                if (value == null) {
                    continue;
                }
                byte[] text = value.toString().getBytes(StandardCharsets.UTF_8);
                sha256.update((component.getName() + ":" + text.length + ":").getBytes(StandardCharsets.UTF_8));
                sha256.update(text);
            }
            return HexFormat.of().formatHex(sha256.digest());
        } catch (ReflectiveOperationException | NoSuchAlgorithmException e) {
            throw new IllegalStateException("cannot fingerprint a request", e);
        }
    }
}
