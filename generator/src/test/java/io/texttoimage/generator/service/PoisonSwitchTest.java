package io.texttoimage.generator.service;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The test-only poison switch is off by default and cannot be turned on in production configuration. */
class PoisonSwitchTest {

    @Test
    void theProdProfileRefusesTheSwitch() {
        IllegalStateException refused = assertThrows(IllegalStateException.class,
                () -> PoisonSwitch.read(Optional.of("poison"), List.of("prod")));
        assertEquals("t2i.generator.test-only.poison-prompt is a test-only switch and is refused in the prod profile:"
                + " remove it from the configuration (it is honoured only in dev and test).", refused.getMessage());
        assertThrows(IllegalStateException.class,
                () -> PoisonSwitch.read(Optional.of("poison"), List.of("staging", "prod")));
    }

    @Test
    void offUnlessSetInAnyProfile() {
        assertTrue(PoisonSwitch.read(Optional.empty(), List.of("prod")).isEmpty());
        assertTrue(PoisonSwitch.read(Optional.of("  "), List.of("prod")).isEmpty());
    }

    @Test
    void honouredInTheTestAndDevProfiles() {
        assertTrue(PoisonSwitch.read(Optional.of("^poison"), List.of("test")).orElseThrow()
                .matcher("poison apple").find());
        assertTrue(PoisonSwitch.read(Optional.of("poison"), List.of("dev")).isPresent());
        assertThrows(IllegalStateException.class, () -> PoisonSwitch.read(Optional.of("(unclosed"), List.of("test")));
    }
}
