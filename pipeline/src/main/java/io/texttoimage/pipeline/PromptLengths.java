package io.texttoimage.pipeline;

import io.texttoimage.pipeline.tokenizer.PromptTokens;

/**
 * A request's prompts as the text encoder takes them: their lengths in CLIP tokens and what the tokenizer's limit
 * (77 for SD 1.x) drops.
 *
 * @param prompt         the prompt
 * @param negativePrompt the negative prompt; null when it is not encoded (guidance scale at most 1)
 */
public record PromptLengths(PromptTokens prompt, PromptTokens negativePrompt) {

    /** Whether the model ignores part of either prompt. */
    public boolean truncated() {
        return prompt.truncated() || negativePrompt != null && negativePrompt.truncated();
    }
}
