package io.texttoimage.pipeline.tokenizer;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Prepares text as transformers' {@code BasicTokenizer(strip_accents=False, do_split_on_punc=False)} does for the slow
 * CLIP tokenizer when ftfy is not installed: drop control and format characters, map whitespace to spaces, put spaces
 * around CJK ideographs, NFC-normalise, lower-case, and collapse whitespace to single spaces.
 */
final class TextCleaner {

    private TextCleaner() {
    }

    static String clean(String text) {
        StringBuilder cleaned = new StringBuilder(text.length() + 16);
        text.codePoints().forEach(codePoint -> appendCleaned(cleaned, codePoint));
        String normalized = Normalizer.normalize(cleaned, Normalizer.Form.NFC);
        StringBuilder out = new StringBuilder(normalized.length());
        for (String word : splitOnWhitespace(normalized)) {
            if (!out.isEmpty()) {
                out.append(' ');
            }
            out.append(word.toLowerCase(Locale.ROOT));
        }
        // Lower-casing can produce characters that Python's str.split() treats as separators; split once more.
        return String.join(" ", splitOnWhitespace(out.toString()));
    }

    private static void appendCleaned(StringBuilder out, int codePoint) {
        if (codePoint == 0 || codePoint == 0xFFFD || isControl(codePoint)) {
            return;
        }
        if (isWhitespace(codePoint)) {
            out.append(' ');
        } else if (isCjkIdeograph(codePoint)) {
            out.append(' ').appendCodePoint(codePoint).append(' ');
        } else {
            out.appendCodePoint(codePoint);
        }
    }

    /** Unicode categories C* except tab, newline and carriage return (those are whitespace). */
    private static boolean isControl(int codePoint) {
        if (codePoint == '\t' || codePoint == '\n' || codePoint == '\r') {
            return false;
        }
        int type = Character.getType(codePoint);
        return type == Character.CONTROL || type == Character.FORMAT || type == Character.PRIVATE_USE
                || type == Character.SURROGATE || type == Character.UNASSIGNED;
    }

    private static boolean isWhitespace(int codePoint) {
        return codePoint == ' ' || codePoint == '\t' || codePoint == '\n' || codePoint == '\r'
                || Character.getType(codePoint) == Character.SPACE_SEPARATOR;
    }

    /** The CJK Unified Ideograph blocks BERT's tokenizer isolates; kana and hangul are not among them. */
    private static boolean isCjkIdeograph(int cp) {
        return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF)
                || (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F)
                || (cp >= 0x2B820 && cp <= 0x2CEAF) || (cp >= 0xF900 && cp <= 0xFAFF)
                || (cp >= 0x2F800 && cp <= 0x2FA1F);
    }

    /** Python's {@code str.split()}: runs of whitespace separate words, no empty words. */
    static List<String> splitOnWhitespace(String text) {
        List<String> words = new ArrayList<>();
        int start = -1;
        for (int i = 0; i < text.length(); ) {
            int codePoint = text.codePointAt(i);
            if (isPythonWhitespace(codePoint)) {
                if (start >= 0) {
                    words.add(text.substring(start, i));
                    start = -1;
                }
            } else if (start < 0) {
                start = i;
            }
            i += Character.charCount(codePoint);
        }
        if (start >= 0) {
            words.add(text.substring(start));
        }
        return words;
    }

    /** Python's {@code str.isspace()}: bidirectional class WS, B or S, or category Zs. */
    private static boolean isPythonWhitespace(int codePoint) {
        if (Character.getType(codePoint) == Character.SPACE_SEPARATOR) {
            return true;
        }
        byte direction = Character.getDirectionality(codePoint);
        return direction == Character.DIRECTIONALITY_WHITESPACE
                || direction == Character.DIRECTIONALITY_PARAGRAPH_SEPARATOR
                || direction == Character.DIRECTIONALITY_SEGMENT_SEPARATOR;
    }
}
