package io.texttoimage.gateway.config;

import org.eclipse.microprofile.config.spi.ConfigSource;

import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Supplies a random default for {@code t2i.gateway.instance-id}: each gateway replica needs its own
 * event queue name, and a config expression cannot generate one. Lowest ordinal, so any other source wins.
 */
public class InstanceIdConfigSource implements ConfigSource {
    static final String KEY = "t2i.gateway.instance-id";
    private static final String VALUE = UUID.randomUUID().toString();

    @Override
    public Set<String> getPropertyNames() {
        return Set.of(KEY);
    }

    @Override
    public Map<String, String> getProperties() {
        return Map.of(KEY, VALUE);
    }

    @Override
    public String getValue(String propertyName) {
        return KEY.equals(propertyName) ? VALUE : null;
    }

    @Override
    public String getName() {
        return "gateway-instance-id";
    }

    @Override
    public int getOrdinal() {
        return 1;
    }
}
