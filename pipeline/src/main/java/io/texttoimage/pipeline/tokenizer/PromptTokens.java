package io.texttoimage.pipeline.tokenizer;

/**
 * How long a text is in CLIP tokens and what the tokenizer's length limit cuts off, counted as diffusers counts in
 * {@code encode_prompt}: {@code tokens} is the length of the untruncated ids, start and end token included, so a text
 * of 75 tokens is 77 long and fits exactly; at 76 text tokens the last one is dropped.
 *
 * @param tokens      the text's length with start and end token, before truncation
 * @param maxTokens   the tokenizer's {@code model_max_length} (77 for SD 1.x), start and end token included
 * @param droppedText the text of the dropped tokens, decoded as diffusers' {@code removed_text} (CLIP lower-cases
 *                    and normalises spaces, so it is the text as the model would have seen it); null when nothing
 *                    was dropped
 */
public record PromptTokens(int tokens, int maxTokens, String droppedText) {

    public boolean truncated() {
        return tokens > maxTokens;
    }

    /** Text tokens the encoder never sees. */
    public int droppedTokens() {
        return Math.max(0, tokens - maxTokens);
    }
}
