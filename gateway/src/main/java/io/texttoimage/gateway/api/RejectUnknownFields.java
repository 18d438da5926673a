package io.texttoimage.gateway.api;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;

import java.lang.reflect.Type;
import java.util.function.BiFunction;

/**
 * Reader of request bodies: unlike the application's mapper (Quarkus turns {@code FAIL_ON_UNKNOWN_PROPERTIES} off),
 * it refuses a field the body type does not have, so {@code numSteps} for {@code num_steps} is a 400 instead of a
 * silently ignored value. Used with {@code @CustomDeserialization} on the resource methods that take a body; responses
 * and the other readers (broker messages, the storage adapter's answers) keep the lenient mapper.
 */
public final class RejectUnknownFields implements BiFunction<ObjectMapper, Type, ObjectReader> {

    @Override
    public ObjectReader apply(ObjectMapper mapper, Type type) {
        return mapper.readerFor(mapper.constructType(type)).with(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    }
}
