package io.texttoimage.storage;

import io.texttoimage.broker.StoreImageHeaders;
import io.texttoimage.contracts.ImageStored;

import java.util.Arrays;
import java.util.Map;
import java.util.UUID;

/**
 * A StoreImage message: the body is the PNG itself, the job id and image index travel as AMQP headers
 * ({@link StoreImageHeaders}, written by the generator). {@link #parse} rejects anything that cannot be stored with a one-sentence reason.
 */
public record StoreImageMessage(UUID jobId, int index, int count, byte[] png) {

    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    public String key() {
        return ImageStored.keyOf(jobId, index);
    }

    /** The message cannot be stored; {@code jobId} and {@code index} are whatever could be read (may be null). */
    public static final class InvalidMessageException extends Exception {
        private final UUID jobId;
        private final Integer index;

        InvalidMessageException(String message, UUID jobId, Integer index) {
            super(message);
            this.jobId = jobId;
            this.index = index;
        }

        public UUID jobId() {
            return jobId;
        }

        public Integer index() {
            return index;
        }
    }

    public static StoreImageMessage parse(Map<String, Object> headers, byte[] body) throws InvalidMessageException {
        Map<String, Object> h = headers == null ? Map.of() : headers;
        Object rawJobId = h.get(StoreImageHeaders.JOB_ID);
        if (rawJobId == null) {
            throw new InvalidMessageException("Header " + StoreImageHeaders.JOB_ID + " is missing.", null, null);
        }
        UUID jobId;
        try {
            jobId = UUID.fromString(rawJobId.toString());
        } catch (IllegalArgumentException e) {
            throw new InvalidMessageException("Header " + StoreImageHeaders.JOB_ID + " is not a UUID.", null, null);
        }
        int index = intHeader(h, StoreImageHeaders.IMAGE_INDEX, jobId, null);
        int count = intHeader(h, StoreImageHeaders.IMAGE_COUNT, jobId, index);
        Object schema = h.get(StoreImageHeaders.SCHEMA);
        if (schema != null && !Integer.toString(StoreImageHeaders.SCHEMA_VERSION).equals(schema.toString())) {
            throw new InvalidMessageException("Unsupported StoreImage schema " + schema + ".", jobId, index);
        }
        if (index < 0 || count < 1 || index >= count) {
            throw new InvalidMessageException("Image index " + index + " is outside 0.." + (count - 1) + ".", jobId, index);
        }
        if (!isPng(body)) {
            throw new InvalidMessageException("The message body is not a PNG image.", jobId, index);
        }
        return new StoreImageMessage(jobId, index, count, body);
    }

    private static int intHeader(Map<String, Object> h, String name, UUID jobId, Integer index)
            throws InvalidMessageException {
        Object raw = h.get(name);
        if (raw == null) {
            throw new InvalidMessageException("Header " + name + " is missing.", jobId, index);
        }
        try {
            return Integer.parseInt(raw.toString().trim());
        } catch (NumberFormatException e) {
            throw new InvalidMessageException("Header " + name + " is not an integer.", jobId, index);
        }
    }

    /** Signature plus an IHDR chunk first: enough to refuse text, JSON or truncated payloads. */
    static boolean isPng(byte[] body) {
        return body != null && body.length >= 33
                && Arrays.equals(body, 0, 8, PNG_SIGNATURE, 0, 8)
                && body[12] == 'I' && body[13] == 'H' && body[14] == 'D' && body[15] == 'R';
    }
}
