package io.texttoimage.gateway.api;

import java.time.Instant;
import java.util.List;

/** Download links of a finished job; every URL stays valid until {@code expires_at}. */
public record SignedUrlsResponse(Instant expiresAt, List<Image> images) {

    public record Image(int index, String key, String url) {
    }
}
