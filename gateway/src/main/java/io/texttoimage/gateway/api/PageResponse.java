package io.texttoimage.gateway.api;

import java.util.List;

/** One page of a newest-first listing; {@code total} counts all records. */
public record PageResponse<T>(List<T> items, int page, int size, long total) {
}
