package io.texttoimage.pipeline.scheduler;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A model's {@code scheduler/scheduler_config.json}, reduced to what {@code X.from_config(config)}
 * in diffusers passes on to a new scheduler class.
 *
 * <p>Only keys the file sets explicitly are kept. Keys listed in {@code _use_default_values} were
 * filled in by the original class's defaults when diffusers saved the file, so (as in diffusers)
 * they are dropped and the new class applies its own defaults; for example PNDM's defaulted
 * {@code timestep_spacing="leading"} does not leak into Euler, which then uses "linspace".
 * Non-finite numbers written as strings ({@code "-Infinity"}) are understood.
 */
public final class SchedulerConfig {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String className;
    private final Map<String, Object> explicitValues;

    private SchedulerConfig(String className, Map<String, Object> explicitValues) {
        this.className = className;
        this.explicitValues = Collections.unmodifiableMap(explicitValues);
    }

    /** Reads {@code scheduler_config.json}; an invalid file is an {@link IllegalArgumentException} naming it. */
    public static SchedulerConfig load(Path file) {
        try {
            return parse(Files.readString(file));
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read scheduler config " + file + ": " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Invalid scheduler config " + file + ": " + e.getMessage(), e);
        }
    }

    public static SchedulerConfig parse(String json) {
        Map<String, Object> raw;
        try {
            raw = JSON.readValue(json, new TypeReference<LinkedHashMap<String, Object>>() { });
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not a JSON object: " + e.getOriginalMessage(), e);
        }
        if (raw == null) {
            throw new IllegalArgumentException("not a JSON object");
        }
        return fromMap(raw);
    }

    /** Builds a config from a JSON-like map (the shape diffusers writes), applying {@code _use_default_values}. */
    public static SchedulerConfig fromMap(Map<String, ?> raw) {
        Object defaulted = raw.get("_use_default_values");
        Set<String> usedDefaults = new TreeSet<>();
        if (defaulted instanceof List<?> list) {
            list.forEach(k -> usedDefaults.add(String.valueOf(k)));
        }
        Object classNameValue = raw.get("_class_name");
        Map<String, Object> explicit = new LinkedHashMap<>();
        raw.forEach((key, value) -> {
            if (!key.startsWith("_") && !usedDefaults.contains(key)) {
                explicit.put(key, value);
            }
        });
        return new SchedulerConfig(classNameValue == null ? null : classNameValue.toString(), explicit);
    }

    /** diffusers' {@code _class_name} of the model's scheduler, or {@code null} when absent. */
    public String className() {
        return className;
    }

    /** The keys set explicitly (after dropping {@code _use_default_values} and private keys). */
    public Map<String, Object> explicitValues() {
        return explicitValues;
    }

    public boolean isSet(String key) {
        return explicitValues.containsKey(key);
    }

    /** A copy with one value set explicitly, like a keyword argument of {@code from_config}. */
    public SchedulerConfig with(String key, Object value) {
        Map<String, Object> copy = new LinkedHashMap<>(explicitValues);
        copy.put(key, value);
        return new SchedulerConfig(className, copy);
    }

    public double getDouble(String key, double defaultValue) {
        Object value = explicitValues.get(key);
        if (value == null) {
            return defaultValue;
        }
        if (value instanceof Number number) {
            return number.doubleValue();
        }
        if (value instanceof String text) {
            return switch (text) {
                case "Infinity", "inf" -> Double.POSITIVE_INFINITY;
                case "-Infinity", "-inf" -> Double.NEGATIVE_INFINITY;
                case "NaN", "nan" -> Double.NaN;
                default -> throw invalid(key, value, "a number");
            };
        }
        throw invalid(key, value, "a number");
    }

    /** A number that may be {@code null} in the file (e.g. {@code sigma_min}); absent or null: {@code defaultValue}. */
    public Double getNullableDouble(String key, Double defaultValue) {
        if (explicitValues.get(key) == null) {
            return defaultValue;
        }
        return Double.valueOf(getDouble(key, 0));
    }

    public int getInt(String key, int defaultValue) {
        Object value = explicitValues.get(key);
        if (value == null) {
            return defaultValue;
        }
        if (value instanceof Number number && number.doubleValue() == Math.rint(number.doubleValue())) {
            return number.intValue();
        }
        throw invalid(key, value, "an integer");
    }

    public boolean getBoolean(String key, boolean defaultValue) {
        Object value = explicitValues.get(key);
        if (value == null) {
            return defaultValue;
        }
        if (value instanceof Boolean flag) {
            return flag;
        }
        throw invalid(key, value, "true or false");
    }

    public String getString(String key, String defaultValue) {
        Object value = explicitValues.get(key);
        if (value == null) {
            return defaultValue;
        }
        if (value instanceof String text) {
            return text;
        }
        throw invalid(key, value, "a string");
    }

    /** A list of numbers such as {@code trained_betas}; {@code null} when absent or null. */
    public double[] getDoubleArray(String key) {
        Object value = explicitValues.get(key);
        if (value == null) {
            return null;
        }
        if (value instanceof List<?> list) {
            double[] result = new double[list.size()];
            for (int i = 0; i < result.length; i++) {
                if (!(list.get(i) instanceof Number number)) {
                    throw invalid(key, value, "a list of numbers");
                }
                result[i] = number.doubleValue();
            }
            return result;
        }
        throw invalid(key, value, "a list of numbers");
    }

    private static IllegalArgumentException invalid(String key, Object value, String expected) {
        return new IllegalArgumentException("scheduler config key '" + key + "' must be " + expected + ", got "
                + value);
    }

    @Override
    public String toString() {
        return "SchedulerConfig[" + className + ", " + explicitValues + "]";
    }
}
