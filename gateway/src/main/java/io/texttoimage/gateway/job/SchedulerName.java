package io.texttoimage.gateway.job;

import io.texttoimage.contracts.SchedulerNames;
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
 * A scheduler name the generators accept: one of {@link SchedulerNames#NAMES} or an AUTOMATIC1111 alias, matched as
 * the pipeline matches them ({@link SchedulerNames#canonical}); null is valid (the model's default).
 */
@Documented
@Constraint(validatedBy = SchedulerName.Validator.class)
@Target({ElementType.FIELD, ElementType.PARAMETER, ElementType.METHOD, ElementType.RECORD_COMPONENT})
@Retention(RetentionPolicy.RUNTIME)
public @interface SchedulerName {

    String message() default "must be a scheduler name";

    Class<?>[] groups() default {};

    Class<? extends Payload>[] payload() default {};

    class Validator implements ConstraintValidator<SchedulerName, String> {

        /** The field error clients see; the names come from the contracts, as the generators' do. */
        static final String MESSAGE = SchedulerNames.invalidNameMessage();

        @Override
        public boolean isValid(String value, ConstraintValidatorContext context) {
            // the name is stored as sent: a control character (NUL, which PostgreSQL text cannot hold, included) is
            // refused here, although the lookup would trim it away (found by the fuzz suite, docs/fuzzing.md)
            if (value == null || value.chars().noneMatch(Character::isISOControl) && SchedulerNames.isValid(value)) {
                return true;
            }
            context.disableDefaultConstraintViolation();
            context.buildConstraintViolationWithTemplate(MESSAGE).addConstraintViolation();
            return false;
        }
    }
}
