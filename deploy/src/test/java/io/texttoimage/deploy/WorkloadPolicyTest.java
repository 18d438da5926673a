package io.texttoimage.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Probes, resources, security context, images and GPU placement of every workload of every overlay. */
class WorkloadPolicyTest {

    /** The Quarkus services and their HTTP ports (docs: gateway 8080, generator 8081, storage adapter 8082). */
    static final Map<String, Integer> SERVICES = Map.of("gateway", 8080, "generator", 8081, "storage-adapter", 8082);
    /** Health and metrics: the management interface (quarkus.management.port). */
    static final Map<String, Integer> MANAGEMENT_PORTS = Map.of("gateway", 9080, "generator", 9081, "storage-adapter", 9082);
    static final String GPU = "nvidia.com/gpu";

    static List<String> overlays() {
        return Manifests.overlays();
    }

    @ParameterizedTest
    @MethodSource("overlays")
    void everyContainerHasRequestsAndLimitsAndAPinnedImage(String overlay) {
        Manifests manifests = Manifests.overlay(overlay);
        manifests.podTemplates().forEach((workload, template) -> {
            for (Container container : ManifestRenderingTest.containers(template.getSpec())) {
                String where = overlay + ": " + workload + "/" + container.getName();
                var resources = container.getResources();
                for (String resource : List.of("cpu", "memory")) {
                    Quantity request = resources.getRequests().get(resource);
                    Quantity limit = resources.getLimits().get(resource);
                    assertNotNull(request, where + " has no " + resource + " request");
                    assertNotNull(limit, where + " has no " + resource + " limit");
                    assertTrue(request.getNumericalAmount().compareTo(limit.getNumericalAmount()) <= 0,
                            where + ": " + resource + " request above its limit");
                }
                assertPinned(where, container.getImage());
            }
        });
    }

    static void assertPinned(String where, String image) {
        assertNotNull(image, where + " has no image");
        if (image.contains("@sha256:")) {
            return;
        }
        int slash = image.lastIndexOf('/');
        int colon = image.lastIndexOf(':');
        assertTrue(colon > slash, where + ": image " + image + " has no tag (it would mean :latest)");
        String tag = image.substring(colon + 1);
        assertFalse(tag.equalsIgnoreCase("latest") || tag.isBlank(), where + ": image " + image + " uses latest");
    }

    @ParameterizedTest
    @MethodSource("overlays")
    void everyPodRunsAsNonRootWithoutPrivilegesCapabilitiesOrAKubernetesToken(String overlay) {
        Manifests manifests = Manifests.overlay(overlay);
        manifests.podTemplates().forEach((workload, template) -> {
            PodSpec pod = template.getSpec();
            String where = overlay + ": " + workload;
            assertEquals(Boolean.TRUE, pod.getSecurityContext().getRunAsNonRoot(), where + " may run as root");
            assertTrue(pod.getSecurityContext().getRunAsUser() != null && pod.getSecurityContext().getRunAsUser() > 0,
                    where + " has no numeric non-root runAsUser");
            assertEquals("RuntimeDefault", pod.getSecurityContext().getSeccompProfile().getType(), where);
            assertEquals(Boolean.FALSE, pod.getAutomountServiceAccountToken(), where + " mounts a service account token");
            assertFalse(Boolean.TRUE.equals(pod.getHostNetwork()) || Boolean.TRUE.equals(pod.getHostPID()), where);
            for (Container container : ManifestRenderingTest.containers(pod)) {
                var security = container.getSecurityContext();
                assertNotNull(security, where + "/" + container.getName() + " has no securityContext");
                assertEquals(Boolean.FALSE, security.getAllowPrivilegeEscalation(), where + "/" + container.getName());
                assertEquals(List.of("ALL"), security.getCapabilities().getDrop(), where + "/" + container.getName());
                assertTrue(security.getCapabilities().getAdd().isEmpty(), where + "/" + container.getName());
                assertFalse(Boolean.TRUE.equals(security.getPrivileged()), where + "/" + container.getName());
            }
        });
        for (ServiceAccount account : manifests.all(ServiceAccount.class)) {
            assertEquals(Boolean.FALSE, account.getAutomountServiceAccountToken(),
                    overlay + ": ServiceAccount " + account.getMetadata().getName() + " automounts its token");
        }
    }

    @ParameterizedTest
    @MethodSource("overlays")
    void applicationContainersHaveAReadOnlyRootAndAWritableTmp(String overlay) {
        Manifests manifests = Manifests.overlay(overlay);
        for (String workload : List.of("Deployment/gateway", "Deployment/storage-adapter", "Deployment/generator",
                "Job/model-download")) {
            PodSpec pod = manifests.podTemplates().get(workload).getSpec();
            for (Container container : ManifestRenderingTest.containers(pod)) {
                String where = overlay + ": " + workload + "/" + container.getName();
                assertEquals(Boolean.TRUE, container.getSecurityContext().getReadOnlyRootFilesystem(), where);
            }
            Container main = pod.getContainers().get(0);
            var tmp = main.getVolumeMounts().stream().filter(m -> m.getMountPath().equals("/tmp")).findFirst();
            assertTrue(tmp.isPresent(), overlay + ": " + workload + " has no writable /tmp");
            Volume volume = pod.getVolumes().stream().filter(v -> v.getName().equals(tmp.get().getName())).findFirst().orElseThrow();
            assertNotNull(volume.getEmptyDir(), overlay + ": " + workload + " /tmp is not an emptyDir");
            assertNotNull(volume.getEmptyDir().getSizeLimit(), overlay + ": " + workload + " /tmp has no size limit");
        }
    }

    @ParameterizedTest
    @MethodSource("overlays")
    void servicesProbeTheirHealthEndpointsAndExposeMetrics(String overlay) {
        Manifests manifests = Manifests.overlay(overlay);
        SERVICES.forEach((service, port) -> {
            PodTemplateSpec template = manifests.podTemplate(service);
            Container container = mainContainer(template, service);
            String where = overlay + ": " + service;
            int management = MANAGEMENT_PORTS.get(service);
            assertEquals(port, container.getPorts().get(0).getContainerPort(), where + " port");
            for (Probe probe : List.of(container.getStartupProbe(), container.getReadinessProbe(), container.getLivenessProbe())) {
                assertEquals(management, probedPort(probe, container), where + ": probes go to the management port");
            }
            assertHttpProbe(where + " startup", container.getStartupProbe(), "/q/health/started", container);
            assertHttpProbe(where + " readiness", container.getReadinessProbe(), "/q/health/ready", container);
            assertHttpProbe(where + " liveness", container.getLivenessProbe(), "/q/health/live", container);
            Map<String, String> annotations = template.getMetadata().getAnnotations();
            assertEquals("true", annotations.get("prometheus.io/scrape"), where);
            assertEquals(String.valueOf(management), annotations.get("prometheus.io/port"), where + ": metrics on the management port");
            assertEquals("/q/metrics", annotations.get("prometheus.io/path"), where);
        });
    }

    @ParameterizedTest
    @MethodSource("overlays")
    void theGeneratorMayLoadItsModelAndFinishItsJobBeforeKubernetesGivesUp(String overlay) {
        Manifests manifests = Manifests.overlay(overlay);
        PodTemplateSpec generator = manifests.podTemplate("generator");
        Probe startup = mainContainer(generator, "generator").getStartupProbe();
        int startupBudget = startup.getPeriodSeconds() * startup.getFailureThreshold();
        assertTrue(startupBudget >= 600, overlay + ": generator start-up budget " + startupBudget + " s < 10 min for model loading");
        Probe gatewayStartup = mainContainer(manifests.podTemplate("gateway"), "gateway").getStartupProbe();
        assertTrue(gatewayStartup.getPeriodSeconds() * gatewayStartup.getFailureThreshold() <= 120,
                overlay + ": a hung gateway should be restarted within two minutes");
        long grace = generator.getSpec().getTerminationGracePeriodSeconds();
        assertTrue(grace >= 120, overlay + ": generator grace period " + grace + " s cannot finish a job");
        assertTrue(grace > manifests.podTemplate("gateway").getSpec().getTerminationGracePeriodSeconds(), overlay);
        // The model cache is shared and read-only for the workers; only the download Job writes it.
        var mount = mainContainer(generator, "generator").getVolumeMounts().stream()
                .filter(m -> m.getMountPath().equals("/models")).findFirst().orElseThrow();
        assertEquals(Boolean.TRUE, mount.getReadOnly(), overlay);
        var claim = generator.getSpec().getVolumes().stream().filter(v -> v.getName().equals(mount.getName()))
                .findFirst().orElseThrow().getPersistentVolumeClaim();
        assertEquals("model-cache", claim.getClaimName());
        assertEquals("/models/current", manifests.generatedConfigMap("generator-config").getData().get("T2I_GENERATOR_MODEL"));
    }

    /**
     * The optimised-graph cache only pays off if it outlives the pod (scale-from-zero starts a new one each time)
     * and the generator can write it; the model cache stays read-only.
     */
    @ParameterizedTest
    @MethodSource("overlays")
    void theGeneratorKeepsItsOptimisedGraphsOnAWritableVolumeThatOutlivesThePod(String overlay) {
        Manifests manifests = Manifests.overlay(overlay);
        PodTemplateSpec generator = manifests.podTemplate("generator");
        String folder = manifests.generatedConfigMap("generator-config").getData().get("T2I_GENERATOR_ORT_GRAPH_CACHE_DIR");
        assertNotNull(folder, overlay + ": the generator is told where its graph cache is");
        var mount = mainContainer(generator, "generator").getVolumeMounts().stream()
                .filter(m -> folder.equals(m.getMountPath()) || folder.startsWith(m.getMountPath() + "/"))
                .findFirst().orElseThrow(() -> new AssertionError(overlay + ": nothing is mounted at " + folder));
        assertNotEquals(Boolean.TRUE, mount.getReadOnly(), overlay + ": the generator writes its graph cache");
        Volume volume = generator.getSpec().getVolumes().stream().filter(v -> v.getName().equals(mount.getName()))
                .findFirst().orElseThrow();
        assertNull(volume.getEmptyDir(), overlay + ": an emptyDir is empty again at every scale-from-zero");
        assertNotNull(volume.getPersistentVolumeClaim(), overlay + ": the graph cache is a persistent volume");
        String claim = volume.getPersistentVolumeClaim().getClaimName();
        assertNotEquals("model-cache", claim, overlay + ": the model cache stays read-only for the workers");
        var pvc = manifests.get(io.fabric8.kubernetes.api.model.PersistentVolumeClaim.class, claim);
        assertNotNull(pvc, overlay + ": the claim " + claim + " is part of the manifests");
        if (overlay.equals("production")) {
            assertEquals(List.of("ReadWriteMany"), pvc.getSpec().getAccessModes(),
                    "generators on several nodes share the graph cache");
        }
    }

    @ParameterizedTest
    @MethodSource("overlays")
    void onlyTheProductionGeneratorAsksForAGpuAndItLandsOnGpuNodes(String overlay) {
        Manifests manifests = Manifests.overlay(overlay);
        manifests.podTemplates().forEach((workload, template) -> {
            for (Container container : ManifestRenderingTest.containers(template.getSpec())) {
                boolean wantsGpu = container.getResources().getRequests().containsKey(GPU)
                        || container.getResources().getLimits().containsKey(GPU);
                boolean shouldWantGpu = overlay.equals("production") && workload.equals("Deployment/generator")
                        && container.getName().equals("generator");
                assertEquals(shouldWantGpu, wantsGpu, overlay + ": " + workload + "/" + container.getName() + " GPU request");
            }
        });
        PodSpec generator = manifests.podTemplate("generator").getSpec();
        Container container = mainContainer(manifests.podTemplate("generator"), "generator");
        String useCuda = manifests.generatedConfigMap("generator-config").getData().get("T2I_GENERATOR_ORT_USE_CUDA");
        if (overlay.equals("production")) {
            assertEquals(new Quantity("1"), container.getResources().getLimits().get(GPU));
            assertEquals(new Quantity("1"), container.getResources().getRequests().get(GPU));
            assertEquals("true", generator.getNodeSelector().get("nvidia.com/gpu.present"));
            assertTrue(generator.getTolerations().stream().anyMatch(t -> GPU.equals(t.getKey()) && "NoSchedule".equals(t.getEffect())));
            assertTrue(ContainerImageTest.runs(container.getImage(), "generator-gpu"), container.getImage());
            assertEquals("true", useCuda);
        } else {
            assertTrue(generator.getNodeSelector().isEmpty() && generator.getTolerations().isEmpty(), overlay);
            assertTrue(ContainerImageTest.runs(container.getImage(), "generator-cpu"), container.getImage());
            assertEquals("false", useCuda);
        }
    }

    @ParameterizedTest
    @MethodSource("overlays")
    void everyServiceHasADisruptionBudgetAndTheGatewaySpreadsAcrossNodesAndZones(String overlay) {
        Manifests manifests = Manifests.overlay(overlay);
        for (String service : SERVICES.keySet()) {
            Optional<PodDisruptionBudget> pdb = manifests.all(PodDisruptionBudget.class).stream()
                    .filter(p -> ManifestRenderingTest.matches(p.getSpec().getSelector(), manifests.podTemplate(service)))
                    .findFirst();
            assertTrue(pdb.isPresent(), overlay + ": no PodDisruptionBudget for " + service);
        }
        var spread = manifests.podTemplate("gateway").getSpec().getTopologySpreadConstraints();
        assertTrue(spread.stream().anyMatch(c -> c.getTopologyKey().equals("kubernetes.io/hostname")), overlay);
        assertTrue(spread.stream().anyMatch(c -> c.getTopologyKey().equals("topology.kubernetes.io/zone")), overlay);
        spread.forEach(c -> assertTrue(ManifestRenderingTest.labelsMatch(c.getLabelSelector().getMatchLabels(),
                manifests.podTemplate("gateway")), overlay + ": spread constraint does not select the gateway"));
        // Autoscaled Deployments leave replicas to their autoscaler, or every apply would reset it.
        assertNull(manifests.get(Deployment.class, "gateway").getSpec().getReplicas(), overlay);
        if (!manifests.scaledObjects().isEmpty()) {
            assertNull(manifests.get(Deployment.class, "generator").getSpec().getReplicas(), overlay);
        }
    }

    static Container mainContainer(PodTemplateSpec template, String name) {
        return template.getSpec().getContainers().stream().filter(c -> c.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no container " + name));
    }

    /** The container port number an HTTP probe goes to, whether it names the port or gives its number. */
    static int probedPort(Probe probe, Container container) {
        var port = probe.getHttpGet().getPort();
        return port.getStrVal() == null ? port.getIntVal() : container.getPorts().stream()
                .filter(p -> port.getStrVal().equals(p.getName())).findFirst().orElseThrow().getContainerPort();
    }

    /** MinIO answers CORS for every origin unless told otherwise; the local overlay names the web page's only. */
    @org.junit.jupiter.api.Test
    void theLocalObjectStoreAllowsBrowsersOnlyFromTheWebPage() {
        Container minio = Manifests.overlay("local").get(io.fabric8.kubernetes.api.model.apps.StatefulSet.class, "minio")
                .getSpec().getTemplate().getSpec().getContainers().get(0);
        String origins = minio.getEnv().stream().filter(env -> env.getName().equals("MINIO_API_CORS_ALLOW_ORIGIN"))
                .map(io.fabric8.kubernetes.api.model.EnvVar::getValue).findFirst().orElse("* (MinIO's default)");
        assertEquals("http://localhost:8080", origins, "origins the local MinIO answers CORS for");
    }

    static void assertHttpProbe(String where, Probe probe, String path, Container container) {
        assertNotNull(probe, where + " probe missing");
        assertNotNull(probe.getHttpGet(), where + " probe is not an HTTP GET");
        assertEquals(path, probe.getHttpGet().getPath(), where);
        var port = probe.getHttpGet().getPort();
        boolean portMatches = port.getStrVal() != null
                ? container.getPorts().stream().anyMatch(p -> port.getStrVal().equals(p.getName()))
                : container.getPorts().stream().anyMatch(p -> port.getIntVal().equals(p.getContainerPort()));
        assertTrue(portMatches, where + " probes a port the container does not have: " + port);
    }
}
