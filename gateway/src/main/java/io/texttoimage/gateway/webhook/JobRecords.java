package io.texttoimage.gateway.webhook;

import io.smallrye.mutiny.Uni;

import java.util.UUID;

/** The job's record as {@code GET /generated-images/{id}} writes it: the body of its deliveries (implemented by the API). */
public interface JobRecords {
    Uni<String> json(UUID jobId);
}
