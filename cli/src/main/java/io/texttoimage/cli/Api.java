package io.texttoimage.cli;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.util.List;
import java.util.Set;

/** The gateway's public REST API as Java records; JSON is snake_case on the wire. */
public final class Api {

    /** Shared mapper: snake_case, tolerant of fields added to the API later. */
    public static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
            .configure(SerializationFeature.FAIL_ON_EMPTY_BEANS, false);

    public static final Set<String> TERMINAL_STATUSES = Set.of("succeeded", "failed", "cancelled");

    private Api() {
    }

    /** Body of {@code POST /generated-images}; null fields are left out so the server applies its defaults. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record GenerateRequest(String prompt, String negativePrompt, Integer numSteps, Double guidanceScale,
                                  Integer width, Integer height, String scheduler, Long seed, Integer numImages,
                                  Boolean previews) {

        /** A request without live previews. */
        public GenerateRequest(String prompt, String negativePrompt, Integer numSteps, Double guidanceScale,
                               Integer width, Integer height, String scheduler, Long seed, Integer numImages) {
            this(prompt, negativePrompt, numSteps, guidanceScale, width, height, scheduler, seed, numImages, null);
        }

        public static GenerateRequest of(String prompt) {
            return new GenerateRequest(prompt, null, null, null, null, null, null, null, null);
        }
    }

    /** A generation job as the gateway stores it. */
    public record JobRecord(String id, String status, String prompt, String negativePrompt, Integer numSteps,
                            Double guidanceScale, Integer width, Integer height, String scheduler, Long seed,
                            Integer numImages, Integer progress, Integer currentStep, Integer totalSteps, String error,
                            List<String> imageKeys, String createdAt, String startedAt, String finishedAt,
                            String updatedAt, Boolean cancelRequested, PromptTruncation promptTruncation,
                            Queue queue, Estimate estimate) {

        public boolean isTerminal() {
            return status != null && TERMINAL_STATUSES.contains(status);
        }
    }

    public record JobPage(List<JobRecord> items, int page, int size, long total) {
    }

    public record ImageUrl(int index, String key, String url) {
    }

    public record ImageUrls(String expiresAt, List<ImageUrl> images) {
    }

    /**
     * The {@code data} of one SSE {@code preview} event: a small approximate image of the job's first image after
     * {@code step}, as a {@code data:} URL.
     */
    public record Preview(String id, Integer step, Integer totalSteps, String image, Integer width, Integer height) {

        /** The image's bytes (a PNG), decoded from its {@code data:} URL. */
        public byte[] imageBytes() {
            int comma = image == null ? -1 : image.indexOf(',');
            if (comma < 0 || !image.startsWith("data:") || !image.substring(0, comma).endsWith(";base64")) {
                throw new IllegalArgumentException("not a base64 data URL");
            }
            return java.util.Base64.getDecoder().decode(image.substring(comma + 1));
        }
    }

    /**
     * The {@code data} of one SSE event from {@code /generated-images/{id}/events}; a {@code queue} event has only
     * id, status, queue and estimate.
     */
    public record JobEvent(String id, String status, Integer step, Integer totalSteps, Integer progress,
                           List<String> imageKeys, String error, Long sequence, PromptTruncation promptTruncation,
                           Queue queue, Estimate estimate) {

        public JobEvent(String id, String status, Integer step, Integer totalSteps, Integer progress,
                        List<String> imageKeys, String error, Long sequence, PromptTruncation promptTruncation) {
            this(id, status, step, totalSteps, progress, imageKeys, error, sequence, promptTruncation, null, null);
        }
    }

    /** A queued job's place in line (1 = next to start) and the workers serving the line. */
    public record Queue(Integer position, Integer jobsAhead, Integer liveWorkers) {
    }

    /** When a job should start and finish (ISO-8601), and the seconds until it finishes; each null when unknown. */
    public record Estimate(String startAt, String finishAt, Double remainingSeconds) {
    }

    /** What the model's token limit cut off the prompts; a prompt that fitted is null. */
    public record PromptTruncation(TruncatedText prompt, TruncatedText negativePrompt) {
    }

    /** One cut prompt: its length and the limit in tokens (start and end token included), and the ignored text. */
    public record TruncatedText(Integer tokens, Integer maxTokens, String droppedText) {
    }

    /** Body of {@code POST /admin/api-keys}: only the name is required; the owner defaults to it on the server. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record CreateKeyRequest(String name, String owner, Boolean admin, String expiresAt) {
    }

    /** An API key as the admin API shows it; {@code key} is only in the answer to its creation. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ApiKeyRecord(String id, String key, String name, String owner, Boolean admin, String createdAt,
                               String expiresAt, String lastUsedAt, String revokedAt, KeyLimits limits) {
    }

    /** A key's quota overrides; each null when the gateway's defaults apply. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record KeyLimits(Integer maxActiveJobs, Integer submissionsPerMinute, Integer imagesPerDay) {
    }

    public record ApiKeyList(List<ApiKeyRecord> items) {
    }

    public record FieldError(String field, String message) {
    }

    /** RFC 9457 problem details, with the gateway's per-field validation errors. */
    public record Problem(String type, String title, Integer status, String detail, String instance,
                          List<FieldError> errors) {

        /** "detail (field: message; ...)" — what a user needs to fix the request. */
        public String describe() {
            StringBuilder text = new StringBuilder(detail != null ? detail : title != null ? title : "request rejected");
            if (errors != null && !errors.isEmpty()) {
                text.append(':');
                for (FieldError error : errors) {
                    text.append("\n  ").append(error.field()).append(": ").append(error.message());
                }
            }
            return text.toString();
        }
    }
}
