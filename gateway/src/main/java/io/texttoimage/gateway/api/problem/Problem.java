package io.texttoimage.gateway.api.problem;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.List;

/**
 * RFC 9457 problem details, with {@code errors} listing field-level validation failures.
 *
 * @param type     URI reference naming the kind of problem ({@code about:blank} for plain HTTP statuses)
 * @param instance the request path that failed
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Problem(String type, String title, int status, String detail, String instance, List<FieldError> errors) {

    public static final String MEDIA_TYPE = "application/problem+json";
    public static final String TYPE_BASE = "https://texttoimage.io/problems/";

    /** One invalid input value: {@code field} uses the JSON (snake_case) name. */
    public record FieldError(String field, String message) {
    }
}
