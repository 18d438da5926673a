package io.texttoimage.contracts;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SchedulerNamesTest {

    @Test
    void everyNameIsItsOwnCanonicalFormAndUnique() {
        assertEquals(21, SchedulerNames.NAMES.size());
        assertEquals(SchedulerNames.NAMES.size(), new HashSet<>(SchedulerNames.NAMES).size());
        for (String name : SchedulerNames.NAMES) {
            assertEquals(name, SchedulerNames.normalize(name), "names are stored normalised");
            assertEquals(Optional.of(name), SchedulerNames.canonical(name));
        }
        assertEquals(String.join(", ", SchedulerNames.NAMES), SchedulerNames.NAMES_TEXT);
    }

    @Test
    void caseAndSeparatorsDoNotMatter() {
        assertEquals(Optional.of("dpmpp-2m-karras"), SchedulerNames.canonical("DPMPP_2M_Karras"));
        assertEquals(Optional.of("euler-a"), SchedulerNames.canonical("  Euler A "));
        assertEquals(Optional.of("dpm2-a-karras"), SchedulerNames.canonical("dpm2 a_karras"));
        assertEquals(Optional.of("unipc"), SchedulerNames.canonical("UniPC"));
    }

    @Test
    void automatic1111NamesAreAliases() {
        assertEquals(Optional.of("dpmpp-2m-sde-karras"), SchedulerNames.canonical("DPM++ 2M SDE Karras"));
        assertEquals(Optional.of("dpmpp-2m-sde"), SchedulerNames.canonical("dpm++ 2m sde"));
        assertEquals(Optional.of("dpmpp-2s"), SchedulerNames.canonical("DPM++ 2S"));
        assertEquals(Optional.of("pndm"), SchedulerNames.canonical("PLMS"));
        assertEquals(Optional.of("lms-karras"), SchedulerNames.canonical("LMS Karras"));
        assertEquals(Optional.of("dpm2-a"), SchedulerNames.canonical("DPM2 a"));
        SchedulerNames.a1111Aliases().forEach((display, name) -> {
            assertEquals(Optional.of(name), SchedulerNames.canonical(display), display);
            assertEquals(Optional.of(display), SchedulerNames.a1111Name(name), name);
        });
        assertEquals(Optional.empty(), SchedulerNames.a1111Name("heun-karras"), "A1111 has no Heun Karras");
    }

    @Test
    void unknownNamesAreRejectedWithTheList() {
        for (String name : List.of("k_euler", "dpm++", "DPM++ 2S a", "", "euler--a-x")) {
            assertFalse(SchedulerNames.isValid(name), name);
        }
        assertFalse(SchedulerNames.isValid(null));
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> SchedulerNames.requireCanonical("k_euler"));
        assertTrue(error.getMessage().startsWith("Unknown scheduler 'k_euler'; valid names are pndm, ddim, "),
                error.getMessage());
        assertTrue(error.getMessage().endsWith("deis, unipc."), error.getMessage());
    }

    @Test
    void candidatesIterateTheNames() {
        List<String> listed = new java.util.ArrayList<>();
        new SchedulerNames.Candidates().forEach(listed::add);
        assertEquals(SchedulerNames.NAMES, listed);
    }
}
