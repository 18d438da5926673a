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
 * here is refused (the resource reads it with {@code api.RejectUnknownFields}).
 */
// The OpenAPI schema keeps its published name: generated clients must not change with a Java rename.
@Schema(name = "GenerationRequest", description = "What to generate; unknown fields are rejected",
        additionalProperties = Schema.False.class)
public record SubmitJobRequest(
        @NotBlank @PromptText(visibleRequired = true) @Size(max = MAX_PROMPT_LENGTH)
        @Schema(required = true, maxLength = MAX_PROMPT_LENGTH, examples = "a lighthouse at dawn, oil painting")
        String prompt,

        @PromptText @Size(max = MAX_PROMPT_LENGTH)
        String negativePrompt,

        @Min(1) @Max(150)
        @Schema(defaultValue = "50", minimum = "1", maximum = "150")
        Integer numSteps,

        @DecimalMin("0") @DecimalMax("30")
        @Schema(defaultValue = "7.5", minimum = "0", maximum = "30")
        Double guidanceScale,

        @Min(64) @Max(1024) @MultipleOf(64)
        @Schema(description = "multiple of 64; null = model default", minimum = "64", maximum = "1024")
        Integer width,

        @Min(64) @Max(1024) @MultipleOf(64)
        @Schema(description = "multiple of 64; null = model default", minimum = "64", maximum = "1024")
        Integer height,

        @SchedulerName
        @Schema(description = "null = model default; one of " + SchedulerNames.NAMES_TEXT + " (any case, '_' or ' ' "
                + "for '-'), or an AUTOMATIC1111 sampler name such as 'DPM++ 2M Karras'", examples = "dpmpp-2m-karras")
        String scheduler,

        @PositiveOrZero
        @Schema(description = "0..2^63-1; chosen at random and returned when absent")
        Long seed,

        @Min(1) @Max(4)
        @Schema(defaultValue = "1", minimum = "1", maximum = "4")
        Integer numImages,

        @Min(1)
        @Schema(description = "seconds the job may wait for a generator to start it; then it fails without running. "
                + "Default and maximum are set by the server (t2i.gateway.deadlines.*; 3600 and 86400 out of the box)",
                minimum = "1")
        Integer queueTimeout,

        @Min(1)
        @Schema(description = "seconds the job may run once started; then it is stopped between steps and fails. "
                + "Default and maximum are set by the server (1800 and 21600 out of the box)", minimum = "1")
        Integer runTimeout) {

    public static final int MAX_PROMPT_LENGTH = 2000;
    public static final int DEFAULT_NUM_STEPS = 50;
    public static final double DEFAULT_GUIDANCE_SCALE = 7.5;
    public static final int DEFAULT_NUM_IMAGES = 1;
}
