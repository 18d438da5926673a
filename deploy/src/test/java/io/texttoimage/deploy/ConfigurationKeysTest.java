package io.texttoimage.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A misspelt environment variable is silently ignored by Quarkus: every variable the manifests give a service must
 * be the environment form of a configuration key that service knows (its application.properties, commented keys
 * included) or of a standard platform key.
 */
class ConfigurationKeysTest {
    static final Map<String, String> MODULE_OF_SERVICE = Map.of(
            "gateway", "gateway", "storage-adapter", "storage-adapter", "generator", "generator");
    /**
     * Standard keys the services get from Quarkus, the JVM image or huggingface_hub. The {@code rabbitmq-*} keys are
     * not among them: the broker module reads them, and each service lists them in its application.properties.
     */
    static final Set<String> PLATFORM = Set.of("QUARKUS_DATASOURCE_USERNAME", "QUARKUS_DATASOURCE_PASSWORD",
            "QUARKUS_HTTP_PORT", "QUARKUS_HTTP_HOST", "HF_HOME", "HF_HUB_CACHE", "HF_TOKEN", "HF_HUB_OFFLINE",
            "HF_ENDPOINT", "JAVA_TOOL_OPTIONS");
    /** Every broker setting docs/deployment.md offers; the messaging ConfigMap goes to all three services. */
    static final List<String> BROKER_VARIABLES = List.of("RABBITMQ_HOST", "RABBITMQ_PORT", "RABBITMQ_USERNAME",
            "RABBITMQ_PASSWORD", "RABBITMQ_VIRTUAL_HOST", "RABBITMQ_SSL", "RABBITMQ_TRUST_STORE_PATH",
            "RABBITMQ_TRUST_STORE_PASSWORD", "RABBITMQ_SSL_VERIFY_HOSTNAME", "RABBITMQ_REQUESTED_HEARTBEAT",
            "T2I_MESSAGING_PREFIX");
    static final Pattern KEY = Pattern.compile("(?<![A-Za-z0-9_.-])([a-z][a-z0-9-]*(?:\\.[a-z0-9-]+)+|rabbitmq-[a-z-]+)(?=\\s*[=/:]|\\s|$)");

    static List<String> overlays() {
        return Manifests.overlays();
    }

    /** MicroProfile Config's environment form: upper case, every character other than [A-Z0-9] becomes '_'. */
    static String environmentForm(String key) {
        return key.toUpperCase().replaceAll("[^A-Z0-9]", "_");
    }

    static Set<String> knownVariables(String module) throws IOException {
        Path properties = Manifests.repositoryRoot().resolve(module).resolve("src/main/resources/application.properties");
        Set<String> known = new HashSet<>(PLATFORM);
        for (String line : Files.readAllLines(properties)) {
            Matcher m = KEY.matcher(line);
            while (m.find()) {
                known.add(environmentForm(m.group(1)));
            }
        }
        if (module.equals("generator")) {
            // The CPU image's entrypoint reads its own (the JVM AOT cache's folder).
            Matcher read = Pattern.compile("\\$\\{(T2I_[A-Z0-9_]+)").matcher(Files.readString(GeneratorEntrypointScriptTest.SCRIPT));
            while (read.find()) {
                known.add(read.group(1));
            }
        }
        return known;
    }

    @ParameterizedTest
    @MethodSource("overlays")
    void everyVariableGivenToAServiceIsAKeyTheServiceReads(String overlay) throws IOException {
        Manifests manifests = Manifests.overlay(overlay);
        for (var entry : MODULE_OF_SERVICE.entrySet()) {
            Set<String> known = knownVariables(entry.getValue());
            Container container = WorkloadPolicyTest.mainContainer(manifests.podTemplate(entry.getKey()), entry.getKey());
            Set<String> unknown = new TreeSet<>();
            container.getEnv().stream().map(EnvVar::getName).filter(n -> !known.contains(n)).forEach(unknown::add);
            for (var source : container.getEnvFrom()) {
                ConfigMap configMap = manifests.get(ConfigMap.class, source.getConfigMapRef().getName());
                configMap.getData().keySet().stream().filter(n -> !known.contains(n)).forEach(unknown::add);
            }
            assertEquals(Set.of(), unknown, overlay + ": " + entry.getKey() + " is given variables it does not read");
        }
    }

    @Test
    void everyServiceReadsEveryBrokerSettingIncludingAmqps() throws IOException {
        for (String module : MODULE_OF_SERVICE.values()) {
            Set<String> known = knownVariables(module);
            Set<String> missing = new TreeSet<>(BROKER_VARIABLES);
            missing.removeAll(known);
            assertEquals(Set.of(), missing, module + "'s application.properties does not list these broker settings");
        }
    }

    @ParameterizedTest
    @MethodSource("overlays")
    void theGeneratorsShutdownGraceEndsBeforeKubernetesKillsIt(String overlay) {
        Manifests manifests = Manifests.overlay(overlay);
        Map<String, String> config = manifests.generatedConfigMap("generator-config").getData();
        assertTrue(Set.of("requeue", "finish").contains(config.get("T2I_GENERATOR_ON_SHUTDOWN")), overlay);
        Duration grace = Duration.parse(config.get("T2I_GENERATOR_SHUTDOWN_GRACE"));
        long podGrace = manifests.podTemplate("generator").getSpec().getTerminationGracePeriodSeconds();
        assertTrue(grace.toSeconds() + 20 <= podGrace,
                overlay + ": the worker waits " + grace + " for its job but the pod is killed after " + podGrace + " s");
    }

    /**
     * One signed-URL policy: the storage adapter refuses an expiry above its maximum, so a gateway configured for
     * longer would answer every download request with an error.
     */
    @ParameterizedTest
    @MethodSource("overlays")
    void theGatewaysSignedUrlExpiryIsWithinTheStorageAdaptersMaximum(String overlay) {
        Manifests manifests = Manifests.overlay(overlay);
        Duration asked = Duration.parse(manifests.generatedConfigMap("gateway-config").getData()
                .get("T2I_GATEWAY_SIGNED_URL_EXPIRY"));
        Duration allowed = Duration.parse(manifests.generatedConfigMap("storage-adapter-config").getData()
                .get("T2I_STORAGE_MAX_URL_EXPIRY"));
        assertTrue(asked.compareTo(allowed) <= 0, overlay + ": gateways ask for " + asked + ", the adapter signs at most " + allowed);
    }

    /** The OpenAPI document and Swagger UI describe every endpoint to whoever asks: off in production, on locally. */
    @ParameterizedTest
    @MethodSource("overlays")
    void theApiDescriptionIsOffInProductionOnly(String overlay) {
        Map<String, String> config = Manifests.overlay(overlay).generatedConfigMap("gateway-config").getData();
        String expected = overlay.equals("production") ? "false" : null;
        assertEquals(expected, config.get("QUARKUS_SMALLRYE_OPENAPI_ENABLED"), overlay + ": OpenAPI document");
        assertEquals(expected, config.get("QUARKUS_SWAGGER_UI_ENABLED"), overlay + ": Swagger UI");
    }
}
