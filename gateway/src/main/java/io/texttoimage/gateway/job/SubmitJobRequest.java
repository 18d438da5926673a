package io.texttoimage.gateway.job;

import io.texttoimage.contracts.SchedulerNames;
import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.PositiveOrZero;
import jakarta.validation.constraints.Size;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * Body of {@code POST /generated-images}; absent optional values take the documented defaults, and a field not named
 * here is refused (the resource reads it with {@code api.StrictRequestBody}).
 */
// The OpenAPI schema keeps its published name: generated clients must not change with a Java rename.
@Schema(name = "GenerationRequest", description = "What to generate; unknown fields are rejected",
        additionalProperties = Schema.False.class)
public record SubmitJobRequest(
        @NotBlank(message = NOT_BLANK) @PromptText(visibleRequired = true)
        @Size(max = MAX_PROMPT_LENGTH, message = AT_MOST_CHARACTERS)
        @Schema(required = true, maxLength = MAX_PROMPT_LENGTH, examples = "a lighthouse at dawn, oil painting")
        String prompt,

        @PromptText @Size(max = MAX_PROMPT_LENGTH, message = AT_MOST_CHARACTERS)
        String negativePrompt,

        @Min(value = 1, message = AT_LEAST) @Max(value = 150, message = AT_MOST)
        @Schema(defaultValue = "50", minimum = "1", maximum = "150")
        Integer numSteps,

        @DecimalMin(value = "0", message = AT_LEAST) @DecimalMax(value = "30", message = AT_MOST)
        @Schema(defaultValue = "7.5", minimum = "0", maximum = "30")
        Double guidanceScale,

        @Min(value = 64, message = AT_LEAST) @Max(value = 1024, message = AT_MOST) @MultipleOf(64)
        @Schema(description = "multiple of 64; null = model default", minimum = "64", maximum = "1024")
        Integer width,

        @Min(value = 64, message = AT_LEAST) @Max(value = 1024, message = AT_MOST) @MultipleOf(64)
        @Schema(description = "multiple of 64; null = model default", minimum = "64", maximum = "1024")
        Integer height,

        @SchedulerName
        @Schema(description = "null = model default; one of " + SchedulerNames.NAMES_TEXT + " (any case, '_' or ' ' "
                + "for '-'), or an AUTOMATIC1111 sampler name such as 'DPM++ 2M Karras'", examples = "dpmpp-2m-karras")
        String scheduler,

        @PositiveOrZero(message = "must be greater than or equal to 0")
        @Schema(description = "0..2^63-1; chosen at random and returned when absent")
        Long seed,

        @Min(value = 1, message = AT_LEAST) @Max(value = 4, message = AT_MOST)
        @Schema(defaultValue = "1", minimum = "1", maximum = "4")
        Integer numImages,

        @Min(value = 1, message = AT_LEAST)
        @Schema(description = "seconds the job may wait for a generator to start it; then it fails without running. "
                + "Default and maximum are set by the server (t2i.gateway.deadlines.*; 3600 and 86400 out of the box)",
                minimum = "1")
        Integer queueTimeout,

        @Min(value = 1, message = AT_LEAST)
        @Schema(description = "seconds the job may run once started; then it is stopped between steps and fails. "
                + "Default and maximum are set by the server (1800 and 21600 out of the box)", minimum = "1")
        Integer runTimeout,

        @Schema(description = "call this URL back with the job's record when it starts, progresses or ends "
                + "(docs/gateway-api.md, Webhooks); null = no webhook")
        WebhookRequest webhook,
        @Schema(description = "ask for live previews: SSE events named preview with a small latent-resolution image "
                + "every few steps (see GET /capabilities, previews_available)", defaultValue = "false")
        Boolean previews) {

    public static final int MAX_PROMPT_LENGTH = 2000;
    public static final int DEFAULT_NUM_STEPS = 50;
    public static final double DEFAULT_GUIDANCE_SCALE = 7.5;
    public static final int DEFAULT_NUM_IMAGES = 1;

    // The messages are part of the API (clients and the launcher's RequestCheck show them): spelled out here rather
    // than taken from Hibernate Validator's bundles, whose wording changes with the version and the request's locale.
    static final String NOT_BLANK = "must not be blank";
    static final String AT_MOST_CHARACTERS = "size must be between {min} and {max}";
    static final String AT_LEAST = "must be greater than or equal to {value}";
    static final String AT_MOST = "must be less than or equal to {value}";
}
