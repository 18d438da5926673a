package io.texttoimage.storage;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

import java.time.Instant;

/** Response of {@code GET /signed-urls}: a time-limited GET URL for one object. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record SignedUrl(String key, String url, Instant expiresAt) {
}
