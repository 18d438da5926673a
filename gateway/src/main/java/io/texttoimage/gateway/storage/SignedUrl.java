package io.texttoimage.gateway.storage;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

import java.time.Instant;

/** The storage adapter's answer to {@code GET /signed-urls}. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record SignedUrl(String key, String url, Instant expiresAt) {
}
