package io.texttoimage.pipeline.tokenizer;

/**
 * A prompt as CLIP token ids, ready for the text encoder.
 *
 * @param inputIds   exactly {@code maxLength} ids: start token, at most {@code maxLength - 2} text tokens, end token,
 *                   then padding
 * @param tokenCount ids before padding, start and end token included
 * @param truncated  whether text tokens were dropped to fit
 */
public record TokenizedText(int[] inputIds, int tokenCount, boolean truncated) {
}
