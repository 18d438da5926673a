package io.texttoimage.gateway.job;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a prompt may hold: no control characters, and something visible. */
class PromptTextTest {

    @ParameterizedTest
    @ValueSource(strings = {"a\u0000b", "bell\u0007", "esc\u001b[0m", "del\u007f", "c1\u0085"})
    void controlCharactersAreFound(String text) {
        assertTrue(PromptText.Validator.firstControlCharacter(text) >= 0, text);
    }

    @ParameterizedTest
    @ValueSource(strings = {"a lighthouse", "line one\nline two\r\n\tindented", "\u05e9\u05dc\u05d5\u05dd \u200f",
            "\ud83d\udc31 cat", "caf\u00e9"})
    void ordinaryTextHasNone(String text) {
        assertEquals(-1, PromptText.Validator.firstControlCharacter(text), text);
        assertTrue(PromptText.Validator.hasVisibleCharacter(text), text);
    }

    @ParameterizedTest
    @ValueSource(strings = {"\u200b\u200b", "\u00a0\u00a0", "\u2007\u202f", " \t\n", "\ufeff", "\u2060\u200d"})
    void whitespaceAndInvisibleCharactersAloneAreNotAPrompt(String text) {
        assertFalse(PromptText.Validator.hasVisibleCharacter(text), text.codePoints().boxed().toList().toString());
    }
}
