package io.texttoimage.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Secret;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** No secret values in git: Secrets are created in the cluster, manifests only reference them. */
class SecretHygieneTest {
    static final Pattern CREDENTIAL_NAME = Pattern.compile("(?i).*(password|passwd|secret|token|access[-_]?key|credential).*");
    /** Well-known shapes of real credentials, and URLs with a literal user:password (a $variable is fine). */
    static final List<Pattern> CREDENTIAL_VALUES = List.of(
            Pattern.compile("AKIA[0-9A-Z]{16}"),
            Pattern.compile("hf_[A-Za-z0-9]{30,}"),
            Pattern.compile("-----BEGIN [A-Z ]*PRIVATE KEY-----"),
            Pattern.compile("[a-z][a-z0-9+.-]*://[^/\\s:@$\"'{}]+:[^@\\s$\"'{}/]+@"));

    static List<String> overlays() {
        return Manifests.overlays();
    }

    @ParameterizedTest
    @MethodSource("overlays")
    void noSecretObjectIsRendered(String overlay) {
        assertEquals(List.of(), Manifests.overlay(overlay).all(Secret.class),
                overlay + ": Secrets are created out of band (docs/deployment.md), never rendered from git");
    }

    @ParameterizedTest
    @MethodSource("overlays")
    void credentialsReachContainersOnlyThroughSecretReferences(String overlay) {
        Manifests manifests = Manifests.overlay(overlay);
        manifests.podTemplates().forEach((workload, template) -> {
            for (Container container : ManifestRenderingTest.containers(template.getSpec())) {
                for (EnvVar env : container.getEnv()) {
                    if (CREDENTIAL_NAME.matcher(env.getName()).matches()) {
                        assertTrue(env.getValue() == null && env.getValueFrom() != null
                                        && env.getValueFrom().getSecretKeyRef() != null,
                                overlay + ": " + workload + " sets " + env.getName() + " without a secretKeyRef");
                    }
                }
            }
        });
        for (ConfigMap configMap : manifests.all(ConfigMap.class)) {
            configMap.getData().forEach((key, value) -> {
                assertFalse(CREDENTIAL_NAME.matcher(key).matches(),
                        overlay + ": ConfigMap " + configMap.getMetadata().getName() + " holds credential-like key " + key);
                CREDENTIAL_VALUES.forEach(p -> assertFalse(p.matcher(value).find(),
                        overlay + ": ConfigMap " + configMap.getMetadata().getName() + "/" + key + " holds a credential"));
            });
        }
    }

    @Test
    void noCredentialIsWrittenInAnyDeploymentFile() throws IOException {
        List<String> findings = new ArrayList<>();
        for (Path root : List.of(Manifests.k8s(), Manifests.repositoryRoot().resolve("src/main/docker"))) {
            try (Stream<Path> files = Files.walk(root)) {
                for (Path file : files.filter(Files::isRegularFile).toList()) {
                    String text = Files.readString(file);
                    CREDENTIAL_VALUES.forEach(p -> p.matcher(text).results()
                            .forEach(m -> findings.add(root.getParent().relativize(file) + ": " + m.group())));
                }
            }
        }
        assertEquals(List.of(), findings);
    }

    @Test
    void theCredentialDetectorCatchesTheShapesItLooksFor() {
        // Guards against a pattern that silently matches nothing.
        List<String> leaks = List.of("AKIAIOSFODNN7EXAMPLE", "hf_abcdefghijklmnopqrstuvwxyzABCDEF",
                "-----BEGIN RSA PRIVATE KEY-----", "http://admin:hunter2@rabbitmq:15672/");
        leaks.forEach(leak -> assertTrue(CREDENTIAL_VALUES.stream().anyMatch(p -> p.matcher(leak).find()), leak));
        assertFalse(CREDENTIAL_VALUES.stream().anyMatch(p -> p.matcher("http://texttoimage:${password}@rabbitmq/").find()));
        assertTrue(CREDENTIAL_NAME.matcher("T2I_STORAGE_SECRET_KEY").matches());
    }
}
