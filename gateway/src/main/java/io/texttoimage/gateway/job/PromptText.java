package io.texttoimage.gateway.job;

import jakarta.validation.Constraint;
import jakarta.validation.ConstraintValidator;
import jakarta.validation.ConstraintValidatorContext;
import jakarta.validation.Payload;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Text a prompt field may hold: no control characters (PostgreSQL cannot store NUL, and none of them means anything
 * to the tokenizer; tab, line feed and carriage return are allowed), and, when {@link #visibleRequired()}, at least
 * one visible character: whitespace, zero-width and other format characters alone do not make a prompt. Null is
 * valid (use {@code @NotNull} to forbid it). The message names the first offending character by its code point.
 */
@Documented
@Constraint(validatedBy = PromptText.Validator.class)
@Target({ElementType.FIELD, ElementType.PARAMETER, ElementType.METHOD, ElementType.RECORD_COMPONENT})
@Retention(RetentionPolicy.RUNTIME)
public @interface PromptText {
    boolean visibleRequired() default false;

    String message() default "must not contain control characters";

    Class<?>[] groups() default {};

    Class<? extends Payload>[] payload() default {};

    class Validator implements ConstraintValidator<PromptText, String> {
        private boolean visibleRequired;

        @Override
        public void initialize(PromptText annotation) {
            visibleRequired = annotation.visibleRequired();
        }

        @Override
        public boolean isValid(String value, ConstraintValidatorContext context) {
            if (value == null) {
                return true;
            }
            int control = firstControlCharacter(value);
            if (control >= 0) {
                return reject(context, "must not contain control characters (found U+%04X)".formatted(control));
            }
            // Plain whitespace is @NotBlank's to report; this catches what it lets through (no-break, zero-width).
            if (visibleRequired && !value.isBlank() && !hasVisibleCharacter(value)) {
                return reject(context, "must contain at least one visible character");
            }
            return true;
        }

        /** The first C0/C1 control character other than tab, line feed and carriage return, or -1. */
        static int firstControlCharacter(String text) {
            return text.codePoints()
                    .filter(c -> Character.getType(c) == Character.CONTROL && c != '\t' && c != '\n' && c != '\r')
                    .findFirst().orElse(-1);
        }

        /** Whether a character is neither whitespace (incl. no-break spaces), nor a format/control character. */
        static boolean hasVisibleCharacter(String text) {
            return text.codePoints().anyMatch(c -> !Character.isWhitespace(c) && !Character.isSpaceChar(c)
                    && Character.getType(c) != Character.FORMAT && Character.getType(c) != Character.CONTROL
                    && Character.getType(c) != Character.SURROGATE && Character.getType(c) != Character.UNASSIGNED);
        }

        private static boolean reject(ConstraintValidatorContext context, String message) {
            context.disableDefaultConstraintViolation();
            context.buildConstraintViolationWithTemplate(message).addConstraintViolation();
            return false;
        }
    }
}
