package io.texttoimage.gateway.api;

import io.texttoimage.gateway.storage.SignedUrl;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/** Download links of a finished job; every URL stays valid until {@code expires_at}. */
public record SignedUrlsResponse(Instant expiresAt, List<Image> images) {

    public record Image(int index, String key, String url) {
    }

    /**
     * @param signed the storage adapter's answer for each key, in the order of the keys
     * @param expiry what was asked for: the expiry when the adapter names none
     */
    public static SignedUrlsResponse of(String[] keys, List<SignedUrl> signed, Duration expiry) {
        List<Image> images = new ArrayList<>(signed.size());
        for (int i = 0; i < signed.size(); i++) {
            images.add(new Image(i, keys[i], signed.get(i).url()));
        }
        Instant expiresAt = signed.stream().map(SignedUrl::expiresAt).filter(Objects::nonNull)
                .min(Comparator.naturalOrder()).orElse(Instant.now().plus(expiry));
        return new SignedUrlsResponse(expiresAt, images);
    }
}
