package io.texttoimage.gateway.quota;

import io.texttoimage.gateway.api.problem.Problem;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * The 429 problem+json of a refused submission: RFC 9457's members (as {@link Problem}) and the quota's own.
 *
 * @param limit which limit: {@code active_jobs}, {@code submissions_per_minute} or {@code images_per_day}
 * @param max   that limit's value for the caller
 */
@Schema(name = "QuotaProblem")
public record QuotaProblem(String type, String title, int status, String detail, String instance,
                           @Schema(enumeration = {"active_jobs", "submissions_per_minute", "images_per_day"})
                           String limit,
                           int max) {

    static QuotaProblem of(QuotaExceeded refusal, String instance) {
        return new QuotaProblem(Problem.TYPE_BASE + "quota-exceeded", "Quota exceeded", 429, refusal.getMessage(),
                instance, refusal.limit().apiName(), refusal.max());
    }
}
