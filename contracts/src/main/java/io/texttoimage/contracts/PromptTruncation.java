package io.texttoimage.contracts;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/**
 * What the text encoder's token limit cut off a job's prompts (CLIP: 77 tokens, start and end token included), sent
 * on RUNNING when at least one prompt was cut. A prompt that fitted is null.
 *
 * @param prompt         the prompt's cut, or null when it fitted
 * @param negativePrompt the negative prompt's cut, or null when it fitted or was not used (guidance scale at most 1)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record PromptTruncation(TruncatedText prompt, TruncatedText negativePrompt) {

    /** SD 1.5's CLIP text encoder takes this many tokens, start and end token included (what the API announces). */
    public static final int MAX_TOKENS = 77;

    /**
     * One cut text, counted as diffusers counts.
     *
     * @param tokens      the text's length in tokens, start and end token included, before the cut
     * @param maxTokens   the most tokens the encoder takes, start and end token included
     * @param droppedText the dropped tokens as text, as the tokenizer decodes them (CLIP: lower case)
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record TruncatedText(int tokens, int maxTokens, String droppedText) {
    }
}
