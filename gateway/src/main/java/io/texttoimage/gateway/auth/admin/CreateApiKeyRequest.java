package io.texttoimage.gateway.auth.admin;

import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Positive;
import jakarta.validation.constraints.Size;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.time.Instant;

/** The body of {@code POST /admin/api-keys}; only {@code name} is required. */
public record CreateApiKeyRequest(
        @NotNull(message = "must not be null") @Size(min = 1, max = 100, message = "must have 1 to 100 characters")
        @Pattern(regexp = VISIBLE, message = "must be visible characters (spaces only between them)")
        @Schema(description = "what the key is for, e.g. ci-bot", examples = "ci-bot") String name,
        @Size(min = 1, max = 100, message = "must have 1 to 100 characters")
        @Pattern(regexp = VISIBLE, message = "must be visible characters (spaces only between them)")
        @Schema(description = "the owner of the jobs submitted with the key; default: the name") String owner,
        @Schema(description = "manages API keys and sees every owner's jobs", defaultValue = "false") Boolean admin,
        @Schema(description = "the key is refused from then on; default: never") Instant expiresAt,
        @Valid @Schema(description = "the key's own quotas; each unset one: the gateway's") Limits limits) {

    /** Letters, digits, punctuation, symbols; inner spaces. */
    static final String VISIBLE = "[\\p{L}\\p{M}\\p{N}\\p{P}\\p{S}]([\\p{L}\\p{M}\\p{N}\\p{P}\\p{S} ]*[\\p{L}\\p{M}\\p{N}\\p{P}\\p{S}])?";

    public record Limits(
            @Positive(message = "must be a positive integer") Integer maxActiveJobs,
            @Positive(message = "must be a positive integer") Integer submissionsPerMinute,
            @Positive(message = "must be a positive integer") Integer imagesPerDay) {
    }
}
