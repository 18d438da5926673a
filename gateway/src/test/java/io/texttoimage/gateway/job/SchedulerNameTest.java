package io.texttoimage.gateway.job;

import io.texttoimage.contracts.SchedulerNames;
import jakarta.validation.ConstraintValidatorContext;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The gateway accepts exactly the scheduler names the contracts define (and the generators' pipeline creates, see
 * its {@code SchedulerNamesContractTest}), with the same case and separator rules, and names the valid ones when it
 * rejects a request.
 */
class SchedulerNameTest {

    private final SchedulerName.Validator validator = new SchedulerName.Validator();

    @Test
    void everyNameInEverySpellingAndEveryAliasIsAccepted() {
        List<String> spellings = new ArrayList<>();
        for (String name : SchedulerNames.NAMES) {
            spellings.addAll(List.of(name, name.toUpperCase(Locale.ROOT), name.replace('-', '_'), name.replace('-', ' '),
                    " " + name + " "));
        }
        spellings.addAll(SchedulerNames.a1111Aliases().keySet());
        spellings.add("dpm++ 2m sde karras");
        for (String spelling : spellings) {
            assertTrue(validator.isValid(spelling, new RecordingContext().proxy()), spelling);
        }
        assertTrue(validator.isValid(null, new RecordingContext().proxy()), "null: the model's default");
    }

    @Test
    void anythingElseIsRejectedWithTheValidNames() {
        for (String name : List.of("k_euler", "DPM++ 2S a", "euler ancestral", "", "pndm2", "heun karras x")) {
            assertFalse(SchedulerNames.isValid(name), name);
            RecordingContext context = new RecordingContext();
            assertFalse(validator.isValid(name, context.proxy()), name);
            assertEquals(List.of(SchedulerName.Validator.MESSAGE), context.messages, name);
        }
        for (String name : SchedulerNames.NAMES) {
            assertTrue(SchedulerName.Validator.MESSAGE.contains(name), name);
        }
    }

    @Test
    void aKnownNameWithAControlCharacterIsRejected() {
        for (String name : List.of("\u0000euler", "euler\u0000", "\teuler", "euler\n", "Euler a\u001f")) {
            assertTrue(SchedulerNames.isValid(name), "the lookup trims it: " + name);
            RecordingContext context = new RecordingContext();
            assertFalse(validator.isValid(name, context.proxy()), name);
            assertEquals(List.of(SchedulerName.Validator.MESSAGE), context.messages, name);
        }
        assertTrue(validator.isValid(" euler ", new RecordingContext().proxy()), "spaces are still trimmed");
    }

    /** The part of Bean Validation's context the validator uses: it replaces the default message with its own. */
    private static final class RecordingContext {
        final List<String> messages = new ArrayList<>();

        ConstraintValidatorContext proxy() {
            return (ConstraintValidatorContext) Proxy.newProxyInstance(getClass().getClassLoader(),
                    new Class<?>[] {ConstraintValidatorContext.class}, (self, method, args) -> switch (method.getName()) {
                        case "disableDefaultConstraintViolation" -> null;
                        case "buildConstraintViolationWithTemplate" -> builder((String) args[0]);
                        default -> throw new UnsupportedOperationException(method.getName());
                    });
        }

        private Object builder(String template) {
            return Proxy.newProxyInstance(getClass().getClassLoader(),
                    new Class<?>[] {ConstraintValidatorContext.ConstraintViolationBuilder.class},
                    (self, method, args) -> {
                        if (!method.getName().equals("addConstraintViolation")) {
                            throw new UnsupportedOperationException(method.getName());
                        }
                        messages.add(template);
                        return null;
                    });
        }
    }
}
