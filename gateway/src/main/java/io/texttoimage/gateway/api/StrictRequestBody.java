package io.texttoimage.gateway.api;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.lang.reflect.Type;
import java.util.function.BiFunction;

/**
 * Reader of request bodies, stricter than the application's mapper, which the responses and the other readers
 * (broker messages, the storage adapter's answers) keep. A body is refused (400) when it
 * <ul>
 *     <li>has a field its type does not have: Quarkus turns {@code FAIL_ON_UNKNOWN_PROPERTIES} off, so
 *     {@code numSteps} for {@code num_steps} would be silently ignored;</li>
 *     <li>gives a value of another JSON type: {@code "20"} or {@code true} for a number, {@code 5} for a string,
 *     {@code ""} for a number (which Jackson would read as "absent" and so the default), {@code 20.5} for an integer
 *     (which Jackson would truncate to 20);</li>
 *     <li>names a field twice (which one wins is up to the reader, so proxies and the gateway could disagree);</li>
 *     <li>has anything after its JSON value.</li>
 * </ul>
 * Used with {@code @CustomDeserialization} on the resource methods that take a body; {@code ProblemMappers} words
 * each refusal.
 */
public final class StrictRequestBody implements BiFunction<ObjectMapper, Type, ObjectReader> {

    @Override
    public ObjectReader apply(ObjectMapper mapper, Type type) {
        ObjectMapper strict = strict(mapper);
        return strict.readerFor(strict.constructType(type))
                .with(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .without(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
                .with(StreamReadFeature.STRICT_DUPLICATE_DETECTION);
    }

    /** A copy of the application's mapper (naming strategy, modules) that converts no scalar into another type. */
    static ObjectMapper strict(ObjectMapper mapper) {
        ObjectMapper strict = mapper instanceof JsonMapper json
                ? json.rebuild().disable(MapperFeature.ALLOW_COERCION_OF_SCALARS).build()
                : mapper.copy();
        for (LogicalType numeric : new LogicalType[] {LogicalType.Integer, LogicalType.Float}) {
            strict.coercionConfigFor(numeric)
                    .setCoercion(CoercionInputShape.String, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.EmptyString, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
        }
        strict.coercionConfigFor(LogicalType.Integer).setCoercion(CoercionInputShape.Float, CoercionAction.Fail);
        strict.coercionConfigFor(LogicalType.Textual)
                .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
        return strict;
    }
}
