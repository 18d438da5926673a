package io.texttoimage.gateway.api.problem;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

class FieldSuggestionsTest {
    private static final List<String> KNOWN = List.of("prompt", "negative_prompt", "num_steps", "guidance_scale",
            "width", "height", "scheduler", "seed", "num_images");

    @Test
    void otherSpellingsOfANameAreItself() {
        assertEquals(Optional.of("num_steps"), FieldSuggestions.closest("numSteps", KNOWN));
        assertEquals(Optional.of("guidance_scale"), FieldSuggestions.closest("GUIDANCE-SCALE", KNOWN));
    }

    @Test
    void smallMistakesFindTheNameMeant() {
        assertEquals(Optional.of("num_steps"), FieldSuggestions.closest("num_stpes", KNOWN));
        assertEquals(Optional.of("num_images"), FieldSuggestions.closest("num_image", KNOWN));
        assertEquals(Optional.of("height"), FieldSuggestions.closest("heigth", KNOWN));
        assertEquals(Optional.of("width"), FieldSuggestions.closest("widht", KNOWN));
    }

    @Test
    void nothingCloseSuggestsNothing() {
        assertEquals(Optional.empty(), FieldSuggestions.closest("colour", KNOWN));
        assertEquals(Optional.empty(), FieldSuggestions.closest("steps", KNOWN));
        assertEquals(Optional.empty(), FieldSuggestions.closest("", KNOWN));
    }

    @Test
    void distanceCountsATranspositionAsOneEdit() {
        assertEquals(1, FieldSuggestions.distance("ab", "ba"));
        assertEquals(3, FieldSuggestions.distance("kitten", "sitting"));
        assertEquals(0, FieldSuggestions.distance("", ""));
    }
}
