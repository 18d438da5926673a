package io.texttoimage.storage;

import io.smallrye.config.ConfigSourceInterceptor;
import io.smallrye.config.ConfigSourceInterceptorContext;
import io.smallrye.config.ConfigValue;
import io.smallrye.config.Priorities;
import jakarta.annotation.Priority;

import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * Configures the quarkus-minio extension's two clients from the adapter's own {@code t2i.storage.*} settings, so the
 * documented {@code T2I_STORAGE_*} variables stay the only ones an operator sets:
 * <ul>
 *   <li>the default client ({@code quarkus.minio.*}) talks to the internal endpoint: writes and existence checks;</li>
 *   <li>the client named {@value #SIGNING} ({@code quarkus.minio.signing.*}) is built for the public endpoint and
 *       only signs. A presigned URL's host is part of its SigV4 signature, so it must be signed for the host
 *       clients use; its explicit region keeps the SDK from asking that (maybe unreachable) host for the bucket
 *       location first.</li>
 * </ul>
 * An interceptor rather than {@code ${t2i.storage.endpoint}} expressions in application.properties because the
 * extension takes the scheme from {@code quarkus.minio.secure} (default {@code true}: https) and ignores the URL's
 * own, and no expression can derive that flag from the URL. A {@code quarkus.minio.*} value that is set anywhere
 * still wins; the t2i.storage values are resolved through the whole configuration (profiles, expressions, test
 * overrides), which a config source factory would not see.
 */
@Priority(Priorities.APPLICATION)
public class MinioSettings implements ConfigSourceInterceptor {
    static final String SIGNING = "signing";
    static final String DEFAULT_ENDPOINT = "http://localhost:9000";
    static final String DEFAULT_REGION = "us-east-1";
    private static final String SOURCE = "t2i.storage.* (MinioSettings)";
    /** Every name derive() can produce, for iterateNames: the extension finds its named clients by name. */
    private static final Set<String> NAMES = derive(name -> Optional.of("https://x")).keySet();

    @Override
    public ConfigValue getValue(ConfigSourceInterceptorContext context, String name) {
        ConfigValue explicit = context.proceed(name);
        // The extension's own defaults (secure=true) are values too: only a setting made somewhere beats ours.
        if (explicit != null && !explicit.isDefault() || !name.startsWith("quarkus.minio.")) {
            return explicit;
        }
        String derived = derive(storage -> Optional.ofNullable(context.restart(storage))
                .map(ConfigValue::getValue).filter(value -> !value.isBlank())).get(name);
        return derived == null ? explicit
                : ConfigValue.builder().withName(name).withValue(derived).withConfigSourceName(SOURCE).build();
    }

    @Override
    public Iterator<String> iterateNames(ConfigSourceInterceptorContext context) {
        Set<String> names = new LinkedHashSet<>();
        context.iterateNames().forEachRemaining(names::add);
        names.addAll(NAMES);
        return names.iterator();
    }

    /** The extension's settings for both clients, from a lookup of the t2i.storage.* values that are set. */
    static Map<String, String> derive(Function<String, Optional<String>> storage) {
        String endpoint = storage.apply("t2i.storage.endpoint").orElse(DEFAULT_ENDPOINT);
        String publicEndpoint = storage.apply("t2i.storage.public-endpoint").orElse(endpoint);
        Map<String, String> settings = new HashMap<>();
        client(settings, "quarkus.minio.", endpoint, storage);
        client(settings, "quarkus.minio." + SIGNING + ".", publicEndpoint, storage);
        return settings;
    }

    private static void client(Map<String, String> settings, String prefix, String url,
                               Function<String, Optional<String>> storage) {
        // "host" is the extension's current name for the URL ("url" is its deprecated alias).
        settings.put(prefix + "host", url);
        settings.put(prefix + "secure", Boolean.toString(url.toLowerCase(Locale.ROOT).startsWith("https://")));
        settings.put(prefix + "region", storage.apply("t2i.storage.region").orElse(DEFAULT_REGION));
        // Left out when unset: start-up then fails naming quarkus.minio.access-key and t2i.storage.access-key.
        storage.apply("t2i.storage.access-key").ifPresent(key -> settings.put(prefix + "access-key", key));
        storage.apply("t2i.storage.secret-key").ifPresent(key -> settings.put(prefix + "secret-key", key));
    }
}
