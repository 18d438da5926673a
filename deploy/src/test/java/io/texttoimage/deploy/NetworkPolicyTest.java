package io.texttoimage.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Evaluates the NetworkPolicies of each overlay the way the cluster does: a pod's allowed egress is the union of
 * the egress rules of every policy that selects it, and a namespace-wide default deny makes everything else
 * unreachable. The generator must reach RabbitMQ only, the storage adapter RabbitMQ and S3, the gateway
 * PostgreSQL, RabbitMQ and the storage adapter (DNS for all).
 */
class NetworkPolicyTest {
    static final Set<String> DNS = Set.of("UDP/53", "TCP/53");
    static final Set<String> RABBITMQ = Set.of("TCP/5672", "TCP/5671");
    static final Set<String> S3 = Set.of("TCP/443", "TCP/9000");

    /** Ports each workload may open connections to; "any" would mean a rule without a port list. */
    static final Map<String, Set<String>> ALLOWED_EGRESS = Map.of(
            "Deployment/generator", union(DNS, RABBITMQ),
            "Deployment/storage-adapter", union(DNS, RABBITMQ, S3),
            "Deployment/gateway", union(DNS, RABBITMQ, Set.of("TCP/5432", "TCP/8082")),
            "Job/model-download", union(DNS, Set.of("TCP/443")));

    /** Ports each workload must be able to reach for the system to work at all. */
    static final Map<String, Set<String>> REQUIRED_EGRESS = Map.of(
            "Deployment/generator", Set.of("UDP/53", "TCP/5672"),
            "Deployment/storage-adapter", Set.of("UDP/53", "TCP/5672"),
            "Deployment/gateway", Set.of("UDP/53", "TCP/5432", "TCP/5672", "TCP/8082"),
            "Job/model-download", Set.of("UDP/53", "TCP/443"));

    static List<String> overlays() {
        return Manifests.overlays();
    }

    @ParameterizedTest
    @MethodSource("overlays")
    void everythingIsDeniedUnlessAllowed(String overlay) {
        Manifests manifests = Manifests.overlay(overlay);
        boolean defaultDeny = manifests.all(NetworkPolicy.class).stream().anyMatch(p ->
                p.getSpec().getPodSelector().getMatchLabels().isEmpty()
                        && p.getSpec().getPolicyTypes().containsAll(List.of("Ingress", "Egress"))
                        && p.getSpec().getIngress().isEmpty() && p.getSpec().getEgress().isEmpty());
        assertTrue(defaultDeny, overlay + ": no namespace-wide default-deny NetworkPolicy");
    }

    @ParameterizedTest
    @MethodSource("overlays")
    void eachApplicationPodReachesOnlyWhatItNeeds(String overlay) {
        Manifests manifests = Manifests.overlay(overlay);
        ALLOWED_EGRESS.forEach((workload, allowed) -> {
            PodTemplateSpec pod = manifests.podTemplates().get(workload);
            assertNotNull(pod, overlay + ": " + workload);
            List<NetworkPolicy> own = manifests.all(NetworkPolicy.class).stream()
                    .filter(p -> !p.getSpec().getPodSelector().getMatchLabels().isEmpty())
                    .filter(p -> ManifestRenderingTest.matches(p.getSpec().getPodSelector(), pod)).toList();
            assertFalse(own.isEmpty(), overlay + ": no NetworkPolicy of its own for " + workload);
            Set<String> egress = egressPorts(manifests, pod);
            assertTrue(allowed.containsAll(egress), overlay + ": " + workload + " may reach " + egress + ", allowed " + allowed);
            assertTrue(egress.containsAll(REQUIRED_EGRESS.get(workload)),
                    overlay + ": " + workload + " cannot reach " + REQUIRED_EGRESS.get(workload) + " (has " + egress + ")");
        });
    }

    @ParameterizedTest
    @MethodSource("overlays")
    void inClusterDestinationsOfTheApplicationsExistAndAcceptThem(String overlay) {
        Manifests manifests = Manifests.overlay(overlay);
        Map<String, PodTemplateSpec> pods = manifests.podTemplates();
        for (String workload : ALLOWED_EGRESS.keySet()) {
            PodTemplateSpec source = pods.get(workload);
            for (NetworkPolicy policy : policiesSelecting(manifests, source)) {
                policy.getSpec().getEgress().forEach(rule -> rule.getTo().stream()
                        .filter(peer -> peer.getPodSelector() != null && peer.getNamespaceSelector() == null)
                        .forEach(peer -> {
                            List<PodTemplateSpec> targets = pods.values().stream()
                                    .filter(t -> ManifestRenderingTest.matches(peer.getPodSelector(), t)).toList();
                            if (overlay.equals("local")) {
                                // Everything runs in the cluster: a dangling selector would be a broken connection.
                                assertFalse(targets.isEmpty(), overlay + ": " + workload + " egress to nothing: " + peer);
                            }
                            for (PodTemplateSpec target : targets) {
                                rule.getPorts().forEach(port -> assertTrue(ingressAllows(manifests, target, source, port.getPort().getIntVal()),
                                        overlay + ": " + workload + " may send to port " + port.getPort()
                                                + " of " + target.getMetadata().getLabels() + ", which does not accept it"));
                            }
                        }));
            }
        }
    }

    /**
     * Health and metrics are on each service's management port: only Prometheus (the monitoring namespace) may
     * reach it, never the clients the gateway's API port is open to, nor another pod of the application.
     */
    @ParameterizedTest
    @MethodSource("overlays")
    void onlyMonitoringReachesTheManagementPorts(String overlay) {
        Manifests manifests = Manifests.overlay(overlay);
        WorkloadPolicyTest.MANAGEMENT_PORTS.forEach((workload, port) -> {
            PodTemplateSpec pod = manifests.podTemplate(workload);
            List<io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule> rules = policiesSelecting(manifests, pod)
                    .stream().flatMap(p -> p.getSpec().getIngress().stream())
                    .filter(rule -> rule.getPorts().isEmpty() || rule.getPorts().stream().anyMatch(p -> p.getPort().getIntVal().equals(port)))
                    .toList();
            assertFalse(rules.isEmpty(), overlay + ": Prometheus cannot scrape " + workload + " on " + port);
            for (var rule : rules) {
                assertFalse(rule.getFrom().isEmpty(), overlay + ": " + workload + "'s management port " + port + " is open to everyone");
                rule.getFrom().forEach(peer -> assertTrue(peer.getPodSelector() == null && peer.getIpBlock() == null
                        && peer.getNamespaceSelector() != null
                        && "monitoring".equals(peer.getNamespaceSelector().getMatchLabels().get("kubernetes.io/metadata.name")),
                        overlay + ": " + workload + "'s management port " + port + " admits " + peer));
            }
            for (PodTemplateSpec other : manifests.podTemplates().values()) {
                assertFalse(ingressAllows(manifests, pod, other, port), overlay + ": " + other.getMetadata().getLabels()
                        + " reaches the management port of " + workload);
            }
        });
    }

    static List<NetworkPolicy> policiesSelecting(Manifests manifests, PodTemplateSpec pod) {
        return manifests.all(NetworkPolicy.class).stream()
                .filter(p -> ManifestRenderingTest.matches(p.getSpec().getPodSelector(), pod)).toList();
    }

    static Set<String> egressPorts(Manifests manifests, PodTemplateSpec pod) {
        Set<String> ports = new HashSet<>();
        for (NetworkPolicy policy : policiesSelecting(manifests, pod)) {
            if (!policy.getSpec().getPolicyTypes().contains("Egress")) {
                continue;
            }
            policy.getSpec().getEgress().forEach(rule -> {
                if (rule.getPorts().isEmpty()) {
                    ports.add("any");
                }
                rule.getPorts().forEach(p -> {
                    assertNotNull(p.getPort(), "a port rule without a port opens every port");
                    assertEquals(null, p.getEndPort(), "port ranges are not used");
                    ports.add((p.getProtocol() == null ? "TCP" : p.getProtocol()) + "/" + p.getPort().getIntVal());
                });
            });
        }
        return ports;
    }

    static boolean ingressAllows(Manifests manifests, PodTemplateSpec target, PodTemplateSpec source, int port) {
        List<NetworkPolicy> policies = policiesSelecting(manifests, target).stream()
                .filter(p -> p.getSpec().getPolicyTypes().contains("Ingress")).toList();
        if (policies.isEmpty()) {
            return true;
        }
        return policies.stream().flatMap(p -> p.getSpec().getIngress().stream()).anyMatch(rule ->
                (rule.getPorts().isEmpty() || rule.getPorts().stream().anyMatch(p -> p.getPort().getIntVal().equals(port)))
                        && (rule.getFrom().isEmpty() || rule.getFrom().stream().anyMatch(peer -> admits(peer, source))));
    }

    static boolean admits(NetworkPolicyPeer peer, PodTemplateSpec source) {
        return peer.getPodSelector() != null && peer.getNamespaceSelector() == null && peer.getIpBlock() == null
                && ManifestRenderingTest.matches(peer.getPodSelector(), source);
    }

    @SafeVarargs
    static Set<String> union(Set<String>... sets) {
        Set<String> all = new HashSet<>();
        for (Set<String> set : sets) {
            all.addAll(set);
        }
        return Set.copyOf(all);
    }
}
