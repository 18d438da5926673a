package io.texttoimage.pipeline.scheduler;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Resolves a scheduler's settings like diffusers' {@code from_config}: a value the model's file sets explicitly wins,
 * otherwise the scheduler class's own default applies. Every value read is recorded, so a scheduler can report the
 * configuration it actually runs with.
 */
final class ConfigReader {

    private final SchedulerConfig source;
    private final Map<String, Object> resolved = new LinkedHashMap<>();

    ConfigReader(SchedulerConfig source) {
        this.source = source;
    }

    int intValue(String key, int defaultValue) {
        int value = source.getInt(key, defaultValue);
        resolved.put(key, value);
        return value;
    }

    double doubleValue(String key, double defaultValue) {
        double value = source.getDouble(key, defaultValue);
        resolved.put(key, value);
        return value;
    }

    /** A number that may be null (diffusers' {@code None}), e.g. {@code sigma_min}. */
    Double nullableDoubleValue(String key) {
        Double value = source.getNullableDouble(key, null);
        resolved.put(key, value);
        return value;
    }

    boolean booleanValue(String key, boolean defaultValue) {
        boolean value = source.getBoolean(key, defaultValue);
        resolved.put(key, value);
        return value;
    }

    String stringValue(String key, String defaultValue) {
        String value = source.getString(key, defaultValue);
        resolved.put(key, value);
        return value;
    }

    /** One of {@code allowed}; anything else is an {@link IllegalArgumentException} naming the key. */
    String choice(String key, String defaultValue, String... allowed) {
        String value = stringValue(key, defaultValue);
        for (String candidate : allowed) {
            if (candidate.equals(value)) {
                return value;
            }
        }
        throw new IllegalArgumentException("scheduler config " + key + "='" + value + "' is not supported; use one of "
                + String.join(", ", allowed));
    }

    double[] doubleArrayValue(String key) {
        double[] value = source.getDoubleArray(key);
        resolved.put(key, value == null ? null : toList(value));
        return value;
    }

    /** A list of integers such as {@code disable_corrector}; absent or null gives an empty list. */
    List<Integer> intListValue(String key) {
        double[] value = source.getDoubleArray(key);
        List<Integer> list = new ArrayList<>();
        if (value != null) {
            for (double v : value) {
                list.add((int) v);
            }
        }
        resolved.put(key, Collections.unmodifiableList(list));
        return list;
    }

    /** A setting this implementation supports only at one value (e.g. {@code thresholding=false}). */
    void requireValue(String key, Object supported, Object defaultValue) {
        Object value = source.isSet(key) ? source.explicitValues().get(key) : defaultValue;
        resolved.put(key, value);
        boolean same = supported == null ? value == null : supported.equals(value);
        if (!same) {
            throw new IllegalArgumentException("scheduler config " + key + "=" + value
                    + " is not supported by this implementation (only " + supported + ")");
        }
    }

    /**
     * Records a value the scheduler changed by itself, as diffusers' {@code register_to_config} does (e.g. DEIS turns
     * {@code algorithm_type="dpmsolver++"} into "deis"), so that {@link #resolved()} shows what actually runs.
     */
    void replace(String key, Object value) {
        resolved.put(key, value);
    }

    Map<String, Object> resolved() {
        return Collections.unmodifiableMap(resolved);
    }

    private static List<Double> toList(double[] values) {
        List<Double> list = new ArrayList<>(values.length);
        for (double v : values) {
            list.add(v);
        }
        return list;
    }
}
