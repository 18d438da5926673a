package io.texttoimage.contracts;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

import java.util.UUID;
import java.util.regex.Pattern;

/** Storage adapter → generators: one image of a job is safely in the bucket under {@code key}. */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record ImageStored(int schemaVersion, UUID jobId, int index, String key, long sizeBytes, String error) {
    public static final int SCHEMA_VERSION = 1;

    /**
     * The object key of image {@code index} of a job. A wire contract: the key travels in ImageStored and JobEvent,
     * and clients see it. The same for a redelivered job, so a retry overwrites instead of duplicating.
     */
    public static String keyOf(UUID jobId, int index) {
        return "images/" + jobId + "/" + index + ".png";
    }

    /** What {@link #keyOf} makes, and nothing else: the only keys a signed URL is ever needed for. */
    private static final Pattern IMAGE_KEY = Pattern.compile(
            "images/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/(0|[1-9][0-9]{0,2})\\.png");

    /** Whether {@code key} has the shape of {@link #keyOf}'s keys (lower-case UUID, index without leading zeros). */
    public static boolean isImageKey(String key) {
        return key != null && IMAGE_KEY.matcher(key).matches();
    }

    public boolean failed() {
        return error != null;
    }
}
