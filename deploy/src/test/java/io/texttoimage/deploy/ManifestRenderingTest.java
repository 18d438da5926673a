package io.texttoimage.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every overlay renders with kustomize, parses strictly, and its objects reference only what exists. */
class ManifestRenderingTest {

    /** Secrets are created outside git (docs/deployment.md); these are their names and the keys the pods read. */
    static final Map<String, Set<String>> EXTERNAL_SECRETS = Map.of(
            "t2i-postgresql", Set.of("username", "password"),
            "t2i-rabbitmq", Set.of("username", "password", "management-uri"),
            "t2i-s3", Set.of("access-key", "secret-key"),
            "t2i-service-token", Set.of("token", "accepted"),
            "t2i-gateway-auth", Set.of("secret", "bootstrap-admin-key"),
            "t2i-huggingface", Set.of("token"));

    static List<String> overlays() {
        return Manifests.overlays();
    }

    @Test
    void theExpectedOverlaysExist() {
        assertTrue(overlays().containsAll(List.of("local", "production")), "overlays found: " + overlays());
    }

    @Test
    void theBaseRendersAndParsesStrictly() {
        Manifests base = Manifests.base();
        assertFalse(base.all(Deployment.class).isEmpty());
    }

    @ParameterizedTest
    @MethodSource("overlays")
    void everyObjectHasANameAndLivesInTheApplicationNamespace(String overlay) {
        Manifests manifests = Manifests.overlay(overlay);
        Set<String> ids = new HashSet<>();
        for (Object object : manifests.objects) {
            var metadata = metadataOf(object);
            String id = object.getClass().getSimpleName() + "/" + metadata.getName();
            assertNotNull(metadata.getName(), overlay + ": object without a name");
            assertTrue(ids.add(id), overlay + ": duplicate " + id);
            if (object instanceof Namespace namespace) {
                assertEquals(Manifests.NAMESPACE, namespace.getMetadata().getName());
            } else {
                assertEquals(Manifests.NAMESPACE, metadata.getNamespace(), overlay + ": " + id);
            }
            assertEquals("text-to-image", metadata.getLabels().get("app.kubernetes.io/part-of"),
                    overlay + ": " + id + " lacks the part-of label");
        }
    }

    @ParameterizedTest
    @MethodSource("overlays")
    void podsReferenceOnlyExistingAccountsConfigMapsVolumesAndDocumentedSecrets(String overlay) {
        Manifests manifests = Manifests.overlay(overlay);
        Set<String> serviceAccounts = names(manifests.all(ServiceAccount.class));
        Set<String> configMaps = names(manifests.all(ConfigMap.class));
        Set<String> claims = names(manifests.all(PersistentVolumeClaim.class));
        manifests.all(StatefulSet.class).forEach(s -> s.getSpec().getVolumeClaimTemplates()
                .forEach(t -> claims.add(t.getMetadata().getName())));

        manifests.podTemplates().forEach((workload, template) -> {
            PodSpec pod = template.getSpec();
            String where = overlay + ": " + workload;
            assertTrue(serviceAccounts.contains(pod.getServiceAccountName()),
                    where + " runs as missing ServiceAccount " + pod.getServiceAccountName());
            pod.getVolumes().forEach(volume -> {
                if (volume.getConfigMap() != null) {
                    assertTrue(configMaps.contains(volume.getConfigMap().getName()), where + ": volume " + volume.getName());
                }
                if (volume.getPersistentVolumeClaim() != null) {
                    assertTrue(claims.contains(volume.getPersistentVolumeClaim().getClaimName()), where + ": " + volume.getName());
                }
                if (volume.getSecret() != null) {
                    assertTrue(EXTERNAL_SECRETS.containsKey(volume.getSecret().getSecretName()), where + ": " + volume.getName());
                }
            });
            Set<String> volumeNames = new HashSet<>(names(pod.getVolumes().stream().map(v -> v.getName())));
            if (workload.startsWith("StatefulSet/")) {
                volumeNames.addAll(claims);
            }
            for (Container container : containers(pod)) {
                container.getEnvFrom().forEach(source -> {
                    assertNotNull(source.getConfigMapRef(), where + ": envFrom other than a ConfigMap");
                    assertTrue(configMaps.contains(source.getConfigMapRef().getName()),
                            where + ": envFrom missing ConfigMap " + source.getConfigMapRef().getName());
                });
                container.getEnv().stream().filter(e -> e.getValueFrom() != null && e.getValueFrom().getSecretKeyRef() != null)
                        .forEach(e -> {
                            var ref = e.getValueFrom().getSecretKeyRef();
                            assertTrue(EXTERNAL_SECRETS.getOrDefault(ref.getName(), Set.of()).contains(ref.getKey()),
                                    where + ": " + e.getName() + " reads undocumented secret " + ref.getName() + "/" + ref.getKey());
                        });
                container.getVolumeMounts().forEach(m -> assertTrue(volumeNames.contains(m.getName()),
                        where + "/" + container.getName() + " mounts missing volume " + m.getName()));
            }
        });
    }

    @ParameterizedTest
    @MethodSource("overlays")
    void selectorsAndTargetsPointAtRealWorkloads(String overlay) {
        Manifests manifests = Manifests.overlay(overlay);
        Map<String, PodTemplateSpec> templates = manifests.podTemplates();
        for (Deployment deployment : manifests.all(Deployment.class)) {
            assertTrue(matches(deployment.getSpec().getSelector(), deployment.getSpec().getTemplate()),
                    overlay + ": Deployment " + deployment.getMetadata().getName() + " does not select its own pods");
        }
        for (Service service : manifests.all(Service.class)) {
            List<PodTemplateSpec> selected = templates.values().stream()
                    .filter(t -> labelsMatch(service.getSpec().getSelector(), t)).toList();
            assertFalse(selected.isEmpty(), overlay + ": Service " + service.getMetadata().getName() + " selects no pods");
            service.getSpec().getPorts().forEach(port -> {
                String target = port.getTargetPort().getStrVal();
                if (target != null) {
                    assertTrue(selected.stream().flatMap(t -> t.getSpec().getContainers().stream())
                                    .flatMap(c -> c.getPorts().stream()).anyMatch(p -> target.equals(p.getName())),
                            overlay + ": Service " + service.getMetadata().getName() + " targets unknown port " + target);
                }
            });
        }
        for (PodDisruptionBudget pdb : manifests.all(PodDisruptionBudget.class)) {
            assertTrue(templates.values().stream().anyMatch(t -> matches(pdb.getSpec().getSelector(), t)),
                    overlay + ": PDB " + pdb.getMetadata().getName() + " selects no pods");
        }
        for (NetworkPolicy policy : manifests.all(NetworkPolicy.class)) {
            assertTrue(templates.values().stream().anyMatch(t -> matches(policy.getSpec().getPodSelector(), t)),
                    overlay + ": NetworkPolicy " + policy.getMetadata().getName() + " selects no pods");
        }
        for (HorizontalPodAutoscaler hpa : manifests.all(HorizontalPodAutoscaler.class)) {
            var ref = hpa.getSpec().getScaleTargetRef();
            assertEquals("Deployment", ref.getKind());
            assertTrue(manifests.find(Deployment.class, ref.getName()).isPresent(), overlay + ": HPA target " + ref.getName());
        }
        Set<String> triggerAuthentications = manifests.triggerAuthentications().stream()
                .map(t -> t.metadata().getName()).collect(java.util.stream.Collectors.toSet());
        for (Keda.ScaledObject scaledObject : manifests.scaledObjects()) {
            assertTrue(manifests.find(Deployment.class, scaledObject.spec().scaleTargetRef().name()).isPresent(),
                    overlay + ": ScaledObject target " + scaledObject.spec().scaleTargetRef().name());
            scaledObject.spec().triggers().forEach(t -> assertTrue(triggerAuthentications.contains(t.authenticationRef().name()),
                    overlay + ": trigger authentication " + t.authenticationRef().name() + " does not exist"));
        }
    }

    @Test
    void theStrictParserRejectsAFieldTheApiDoesNotHave() throws Exception {
        // The check is only worth something if a typo fails it: "readinesProbe" instead of "readinessProbe".
        String yaml = """
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: x}
                spec:
                  selector: {matchLabels: {a: b}}
                  template:
                    metadata: {labels: {a: b}}
                    spec:
                      containers:
                      - name: x
                        image: x:1
                        readinesProbe: {httpGet: {path: /q/health/ready, port: 8080}}
                """;
        AssertionError error = assertThrows(AssertionError.class, () -> Manifests.parse("typo", yaml));
        assertTrue(error.getMessage().contains("readinesProbe"), error.getMessage());
    }

    @Test
    void theStrictParserRejectsAWrongApiVersionAndAMistypedKedaField() {
        String oldHpa = """
                apiVersion: autoscaling/v1
                kind: HorizontalPodAutoscaler
                metadata: {name: x}
                spec: {maxReplicas: 2, scaleTargetRef: {kind: Deployment, name: x}}
                """;
        assertThrows(AssertionError.class, () -> Manifests.parse("old", oldHpa));
        String keda = """
                apiVersion: keda.sh/v1alpha1
                kind: ScaledObject
                metadata: {name: x}
                spec:
                  scaleTargetRef: {name: x}
                  minReplicas: 0
                  triggers: []
                """;
        AssertionError error = assertThrows(AssertionError.class, () -> Manifests.parse("keda", keda));
        assertTrue(error.getMessage().contains("minReplicas"), error.getMessage());
    }

    @Test
    void theStrictParserRejectsAStringWhereTheApiWantsANumber() {
        String yaml = """
                apiVersion: v1
                kind: Service
                metadata: {name: x}
                spec:
                  ports: [{port: "eighty"}]
                """;
        assertThrows(AssertionError.class, () -> Manifests.parse("string", yaml));
    }

    // ---- helpers ---------------------------------------------------------------------------------------------

    static io.fabric8.kubernetes.api.model.ObjectMeta metadataOf(Object object) {
        if (object instanceof HasMetadata resource) {
            return resource.getMetadata();
        }
        if (object instanceof Keda.ScaledObject scaledObject) {
            return scaledObject.metadata();
        }
        if (object instanceof Keda.TriggerAuthentication authentication) {
            return authentication.metadata();
        }
        throw new AssertionError("no metadata on " + object);
    }

    static List<Container> containers(PodSpec pod) {
        return Stream.concat(pod.getInitContainers().stream(), pod.getContainers().stream()).toList();
    }

    static boolean matches(LabelSelector selector, PodTemplateSpec template) {
        assertTrue(selector.getMatchExpressions() == null || selector.getMatchExpressions().isEmpty(),
                "matchExpressions are not used in these manifests");
        return labelsMatch(selector.getMatchLabels(), template);
    }

    static boolean labelsMatch(Map<String, String> wanted, PodTemplateSpec template) {
        Map<String, String> labels = template.getMetadata().getLabels();
        return wanted == null || wanted.entrySet().stream().allMatch(e -> Objects.equals(labels.get(e.getKey()), e.getValue()));
    }

    static Set<String> names(List<? extends HasMetadata> objects) {
        return new HashSet<>(objects.stream().map(o -> o.getMetadata().getName()).toList());
    }

    static Set<String> names(Stream<String> names) {
        return new HashSet<>(names.toList());
    }
}
