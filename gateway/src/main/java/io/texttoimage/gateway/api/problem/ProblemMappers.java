package io.texttoimage.gateway.api.problem;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.InputCoercionException;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.core.io.JsonEOFException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import io.quarkus.hibernate.validator.runtime.jaxrs.ResteasyReactiveViolationException;
import io.vertx.core.http.HttpServerRequest;
import jakarta.validation.ConstraintViolation;
import jakarta.validation.ConstraintViolationException;
import jakarta.validation.ElementKind;
import jakarta.validation.Path;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import java.math.BigInteger;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Turns every failure into RFC 9457 problem+json; client mistakes never become a 500. The framework's exceptions
 * are mapped here; the gateway's own domain exceptions by {@code api.DomainProblemMappers}, so that this package
 * stays a leaf that every other one (authentication among them) may use.
 */
public class ProblemMappers {
    private static final Logger LOG = Logger.getLogger(ProblemMappers.class);
    static final int RETRY_AFTER_SECONDS = 5;
    /** How Jackson's messages name the kind of JSON value met, and how ours do. */
    private static final Map<String, String> JACKSON_VALUE_KINDS = Map.of(
            "String value", "a string", "Boolean value", "a boolean", "Object value", "an object",
            "Array value", "an array", "Floating-point value", "a number with a fraction",
            "Integer value", "an integer");

    @ServerExceptionMapper
    public Response problem(ProblemException e, HttpServerRequest request) {
        return of(e, request);
    }

    /** The response for {@code e} on {@code request}'s path. */
    public static Response of(ProblemException e, HttpServerRequest request) {
        List<Problem.FieldError> errors = e instanceof ProblemException.InvalidField invalid
                ? List.of(new Problem.FieldError(invalid.field(), e.getMessage()))
                : null;
        return respond(new Problem(Problem.TYPE_BASE + e.type(), e.title(), e.status(), e.getMessage(),
                request.path(), errors));
    }

    @ServerExceptionMapper
    public Response restViolation(ResteasyReactiveViolationException e, HttpServerRequest request) {
        return violations(e, request);
    }

    @ServerExceptionMapper
    public Response violation(ConstraintViolationException e, HttpServerRequest request) {
        return violations(e, request);
    }

    @ServerExceptionMapper
    public Response malformedJson(JsonParseException e, HttpServerRequest request) {
        return streamRead(e, request);
    }

    @ServerExceptionMapper
    public Response mismatchedJson(MismatchedInputException e, HttpServerRequest request) {
        return jsonMapping(e, request);
    }

    @ServerExceptionMapper
    public Response unmappableJson(JsonMappingException e, HttpServerRequest request) {
        return jsonMapping(e, request);
    }

    @ServerExceptionMapper
    public Response http(WebApplicationException e, HttpServerRequest request) {
        // Quarkus REST wraps body parsing failures; answer them as the JSON problems they are.
        if (e.getCause() instanceof JsonMappingException mapping) {
            return jsonMapping(mapping, request);
        }
        if (e.getCause() instanceof StreamReadException read) {
            return streamRead(read, request);
        }
        int status = e.getResponse().getStatus();
        if (status == 415) {
            return problem(ProblemException.unsupportedMediaType(request.getHeader("Content-Type")), request);
        }
        if (status >= 500) {
            LOG.errorf(e, "HTTP %d on %s", status, request.path());
        }
        Response.StatusType statusType = Response.Status.fromStatusCode(status);
        String title = statusType != null ? statusType.getReasonPhrase() : "HTTP " + status;
        return respond(new Problem("about:blank", title, status, e.getMessage(), request.path(), null));
    }

    @ServerExceptionMapper
    public Response unexpected(Throwable e, HttpServerRequest request) {
        if (DatabaseOutage.isCause(e)) {
            LOG.debugf("PostgreSQL unreachable on %s %s: %s", request.method(), request.path(), e);
            return respond(new Problem(Problem.TYPE_BASE + "database-unavailable", "Database unavailable", 503,
                    "PostgreSQL, where the gateway keeps the jobs, cannot be reached or is too busy right now; nothing was stored "
                            + "or changed by this request. Please retry later.", request.path(), null));
        }
        LOG.errorf(e, "Unexpected failure on %s %s", request.method(), request.path());
        return respond(new Problem(Problem.TYPE_BASE + "internal-error", "Internal server error", 500,
                "The gateway failed unexpectedly; the error is logged.", request.path(), null));
    }

    private Response violations(ConstraintViolationException e, HttpServerRequest request) {
        List<Problem.FieldError> errors = e.getConstraintViolations().stream()
                .map(v -> new Problem.FieldError(fieldName(v), v.getMessage()))
                .sorted(Comparator.comparing(Problem.FieldError::field))
                .toList();
        String detail = errors.stream().map(err -> err.field() + " " + err.message())
                .collect(Collectors.joining("; "));
        return respond(new Problem(Problem.TYPE_BASE + "invalid-request", "Invalid request", 400,
                detail, request.path(), errors));
    }

    private Response streamRead(StreamReadException e, HttpServerRequest request) {
        String field = null;
        if (e.getProcessor() instanceof JsonParser parser && parser.getParsingContext() != null) {
            field = parser.getParsingContext().getCurrentName();
        }
        if (field != null && e instanceof InputCoercionException) {
            return badJson("Field '" + field + "' is out of range: " + e.getOriginalMessage(), field, request);
        }
        if (field != null && e.getOriginalMessage() != null && e.getOriginalMessage().startsWith("Duplicate field")) {
            // the body is read with STRICT_DUPLICATE_DETECTION (api.StrictRequestBody)
            return badJson("Field '" + field + "' appears more than once in the request body; give each field once.",
                    field, "appears more than once", request);
        }
        if (e instanceof JsonEOFException) {
            return badJson("The request body is not valid JSON: it ends before the JSON value is complete.", null,
                    request);
        }
        return badJson("The request body is not valid JSON" + at(e) + ": " + e.getOriginalMessage(), null, request);
    }

    /** " at line 1, column 13", where Jackson knows where it stopped. */
    private static String at(JsonProcessingException e) {
        JsonLocation location = e.getLocation();
        return location == null || location.getLineNr() < 1 ? ""
                : " at line " + location.getLineNr() + ", column " + location.getColumnNr();
    }

    private Response jsonMapping(JsonMappingException e, HttpServerRequest request) {
        if (e.getCause() instanceof StreamReadException unreadable) {
            // a syntax error met while reading a field's value (Jackson wraps it to add the path): not a wrong value
            return streamRead(unreadable, request);
        }
        String field = e.getPath().stream()
                .map(ref -> ref.getFieldName() != null ? ref.getFieldName() : "[" + ref.getIndex() + "]")
                .collect(Collectors.joining(".")).replace(".[", "[");
        if (e instanceof UnrecognizedPropertyException unknown) {
            return unknownField(unknown, field.isEmpty() ? unknown.getPropertyName() : field, request);
        }
        if (field.isEmpty() && e.getOriginalMessage() != null && e.getOriginalMessage().startsWith("Trailing token")) {
            // FAIL_ON_TRAILING_TOKENS (api.StrictRequestBody): a second value, not a longer first one
            return badJson("The request body must be a single JSON object with nothing after it; more JSON follows "
                    + "the object" + at(e) + ".", null, request);
        }
        if (!field.isEmpty() && e instanceof MismatchedInputException mismatch && mismatch.getTargetType() != null) {
            String expected = expectedJsonType(mismatch.getTargetType());
            if (expected != null) {
                String message = "must be " + expected + ", not " + givenJsonType(e);
                return badJson("Field '" + field + "' " + message + ".", field, message, request);
            }
        }
        if (field.isEmpty()) {
            return badJson("The request body does not match the expected JSON: " + e.getOriginalMessage(), null,
                    request);
        }
        return badJson("Invalid value for '" + field + "': " + e.getOriginalMessage(), field, request);
    }

    /**
     * A request body field its type does not have (request bodies are read with {@code FAIL_ON_UNKNOWN_PROPERTIES}):
     * an {@code invalid-request} problem naming the field and, when one is close, the known field meant. Jackson stops
     * at the first unknown field, so that is the one reported.
     */
    private Response unknownField(UnrecognizedPropertyException e, String field, HttpServerRequest request) {
        String message = "unknown field '" + e.getPropertyName() + "'"
                + (e.getKnownPropertyIds() == null ? ""
                : FieldSuggestions.closest(e.getPropertyName(), e.getKnownPropertyIds())
                        .map(known -> ": did you mean '" + known + "'?").orElse(""));
        return respond(new Problem(Problem.TYPE_BASE + "invalid-request", "Invalid request", 400, message,
                request.path(), List.of(new Problem.FieldError(field, message))));
    }

    /** The JSON type a request field of this Java type takes; null for types without a single one. */
    private static String expectedJsonType(Class<?> target) {
        if (target == Integer.class || target == Long.class || target == int.class || target == long.class) {
            return "an integer";
        }
        if (target == Double.class || target == double.class || target == Float.class || target == float.class) {
            return "a number";
        }
        if (target == String.class) {
            return "a string";
        }
        return null;
    }

    /**
     * What the client sent instead, in JSON terms: a refused coercion may carry the value it met; otherwise only
     * Jackson's message names the kind of value ("from Boolean value", "Cannot coerce String value"), since the parser
     * is closed by now. Unknown wording still gives a correct, vaguer sentence.
     */
    private static String givenJsonType(JsonMappingException e) {
        if (e instanceof InvalidFormatException invalid) {
            switch (invalid.getValue()) {
                case String ignored -> { return "a string"; }
                case Boolean ignored -> { return "a boolean"; }
                case Integer ignored -> { return "an integer"; }
                case Long ignored -> { return "an integer"; }
                case BigInteger ignored -> { return "an integer"; }
                case Number ignored -> { return "a number with a fraction"; }
                case null, default -> { }
            }
        }
        // the first kind named: the client's own value, quoted later in the message, may spell another
        String message = String.valueOf(e.getOriginalMessage());
        return JACKSON_VALUE_KINDS.entrySet().stream()
                .filter(kind -> message.contains(kind.getKey()))
                .min(Comparator.comparingInt(kind -> message.indexOf(kind.getKey())))
                .map(Map.Entry::getValue).orElse("another JSON type");
    }

    private Response badJson(String detail, String field, HttpServerRequest request) {
        return badJson(detail, field, "has the wrong type or format", request);
    }

    private Response badJson(String detail, String field, String fieldMessage, HttpServerRequest request) {
        List<Problem.FieldError> errors = field == null ? null
                : List.of(new Problem.FieldError(field, fieldMessage));
        return respond(new Problem(Problem.TYPE_BASE + "malformed-json", "Malformed JSON", 400, detail,
                request.path(), errors));
    }

    /** The JSON name of the invalid value: the last property (or parameter) of the path, in snake_case. */
    static String fieldName(ConstraintViolation<?> violation) {
        String name = null;
        for (Path.Node node : violation.getPropertyPath()) {
            if (node.getKind() == ElementKind.PROPERTY || node.getKind() == ElementKind.PARAMETER) {
                name = node.getName();
            }
        }
        return name == null ? "body" : snakeCase(name);
    }

    static String snakeCase(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(java.util.Locale.ROOT);
    }

    static Response respond(Problem problem) {
        Response.ResponseBuilder response = Response.status(problem.status()).type(Problem.MEDIA_TYPE).entity(problem);
        if (problem.status() == 503) {
            // A dependency is missing: worth retrying, after a pause.
            response.header("Retry-After", RETRY_AFTER_SECONDS);
        }
        return response.build();
    }
}
