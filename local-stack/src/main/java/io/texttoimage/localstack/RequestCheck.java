package io.texttoimage.localstack;

import io.texttoimage.cli.Api;
import io.texttoimage.contracts.SchedulerNames;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The gateway's checks of a generation request (gateway {@code GenerationRequest}: the same bounds, the same
 * field names and the same Bean Validation messages), run by the launcher before it starts anything, so that
 * {@code --width 100} fails at once instead of after the start-up of the whole stack. The gateway stays the
 * authority; e2e-tests compares these answers with the real gateway's 400s for the same inputs.
 */
public final class RequestCheck {
    static final int MAX_PROMPT_LENGTH = 2000;
    static final int MIN_STEPS = 1;
    static final int MAX_STEPS = 150;
    static final double MIN_GUIDANCE = 0;
    static final double MAX_GUIDANCE = 30;
    static final int MIN_SIDE = 64;
    static final int MAX_SIDE = 1024;
    static final int SIDE_MULTIPLE = 64;
    static final int MIN_IMAGES = 1;
    static final int MAX_IMAGES = 4;

    /** The launcher's option for each API field, so that the message names what the user typed. */
    private static final Map<String, String> OPTIONS = Map.of("prompt", "PROMPT", "negative_prompt", "--negative-prompt",
            "num_steps", "--steps", "guidance_scale", "--guidance", "width", "--width", "height", "--height",
            "scheduler", "--scheduler", "seed", "--seed", "num_images", "--num-images");

    private RequestCheck() {
    }

    /** Every rule the request breaks, as the gateway's {@code errors}: sorted by field, then message. */
    public static List<Api.FieldError> violations(Api.GenerateRequest request) {
        List<Api.FieldError> errors = new ArrayList<>();
        checkPrompt(errors, request.prompt());
        if (request.negativePrompt() != null && request.negativePrompt().length() > MAX_PROMPT_LENGTH) {
            errors.add(new Api.FieldError("negative_prompt", "size must be between 0 and " + MAX_PROMPT_LENGTH));
        }
        checkRange(errors, "num_steps", request.numSteps(), MIN_STEPS, MAX_STEPS);
        checkGuidance(errors, request.guidanceScale());
        checkSide(errors, "width", request.width());
        checkSide(errors, "height", request.height());
        if (request.scheduler() != null && !SchedulerNames.isValid(request.scheduler())) {
            errors.add(new Api.FieldError("scheduler", SchedulerNames.invalidNameMessage()));
        }
        if (request.seed() != null && request.seed() < 0) {
            errors.add(new Api.FieldError("seed", "must be greater than or equal to 0"));
        }
        checkRange(errors, "num_images", request.numImages(), MIN_IMAGES, MAX_IMAGES);
        errors.sort(Comparator.comparing(Api.FieldError::field).thenComparing(Api.FieldError::message));
        return errors;
    }

    /** One sentence: {@code num_steps (--steps) must be greater than or equal to 1; width (--width) must be ...}. */
    public static String describe(List<Api.FieldError> errors) {
        return errors.stream().map(error -> error.field() + " (" + OPTIONS.getOrDefault(error.field(), error.field())
                + ") " + error.message()).collect(Collectors.joining("; "));
    }

    private static void checkPrompt(List<Api.FieldError> errors, String prompt) {
        if (prompt == null || prompt.isBlank()) {
            errors.add(new Api.FieldError("prompt", "must not be blank"));
        }
        if (prompt != null && prompt.length() > MAX_PROMPT_LENGTH) {
            errors.add(new Api.FieldError("prompt", "size must be between 0 and " + MAX_PROMPT_LENGTH));
        }
    }

    private static void checkRange(List<Api.FieldError> errors, String field, Integer value, int min, int max) {
        if (value == null) {
            return;
        }
        if (value < min) {
            errors.add(new Api.FieldError(field, "must be greater than or equal to " + min));
        }
        if (value > max) {
            errors.add(new Api.FieldError(field, "must be less than or equal to " + max));
        }
    }

    private static void checkGuidance(List<Api.FieldError> errors, Double guidance) {
        if (guidance == null) {
            return;
        }
        if (guidance < MIN_GUIDANCE) {
            errors.add(new Api.FieldError("guidance_scale", "must be greater than or equal to " + (int) MIN_GUIDANCE));
        }
        if (guidance > MAX_GUIDANCE) {
            errors.add(new Api.FieldError("guidance_scale", "must be less than or equal to " + (int) MAX_GUIDANCE));
        }
    }

    private static void checkSide(List<Api.FieldError> errors, String field, Integer side) {
        checkRange(errors, field, side, MIN_SIDE, MAX_SIDE);
        if (side != null && side % SIDE_MULTIPLE != 0) {
            errors.add(new Api.FieldError(field, "must be a multiple of " + SIDE_MULTIPLE));
        }
    }
}
