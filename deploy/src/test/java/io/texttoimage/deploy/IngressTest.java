package io.texttoimage.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.networking.v1.HTTPIngressPath;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.IngressRule;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The ingress-nginx example keeps SSE streams working and routes to the gateway's HTTP port. */
class IngressTest {
    static final String NGINX = "nginx.ingress.kubernetes.io/";

    static List<String> overlays() {
        return Manifests.overlays();
    }

    @Test
    void productionPublishesTheGatewayThroughAnIngress() {
        assertEquals(1, Manifests.overlay("production").all(Ingress.class).size());
    }

    @ParameterizedTest
    @MethodSource("overlays")
    void sseIsNotBufferedAndAQuietStreamIsNotCut(String overlay) {
        Manifests manifests = Manifests.overlay(overlay);
        Duration heartbeat = Duration.parse(manifests.generatedConfigMap("gateway-config").getData().get("T2I_GATEWAY_SSE_HEARTBEAT"));
        for (Ingress ingress : manifests.all(Ingress.class)) {
            String where = overlay + ": Ingress " + ingress.getMetadata().getName();
            Map<String, String> annotations = ingress.getMetadata().getAnnotations();
            assertEquals("nginx", ingress.getSpec().getIngressClassName(), where + ": the annotations are ingress-nginx's");
            assertEquals("off", annotations.get(NGINX + "proxy-buffering"), where + ": buffered SSE arrives in bursts");
            for (String timeout : List.of("proxy-read-timeout", "proxy-send-timeout")) {
                String value = annotations.get(NGINX + timeout);
                assertNotNull(value, where + " has no " + timeout + " (nginx's default 60 s cuts long streams)");
                assertTrue(value.matches("\\d+"), where + ": " + timeout + " is in seconds, without a unit: " + value);
                assertTrue(Integer.parseInt(value) >= 3600, where + ": " + timeout + " " + value + " s < 1 h");
                assertTrue(Duration.ofSeconds(Integer.parseInt(value)).compareTo(heartbeat.multipliedBy(4)) > 0, where);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("overlays")
    void everyPathRoutesToTheGatewaysHttpPortOverTls(String overlay) {
        Manifests manifests = Manifests.overlay(overlay);
        Service gateway = manifests.get(Service.class, "gateway");
        int containerPort = WorkloadPolicyTest.SERVICES.get("gateway");
        for (Ingress ingress : manifests.all(Ingress.class)) {
            String where = overlay + ": Ingress " + ingress.getMetadata().getName();
            assertFalse(ingress.getSpec().getRules().isEmpty(), where + " has no rules");
            for (IngressRule rule : ingress.getSpec().getRules()) {
                assertTrue(ingress.getSpec().getTls().stream().anyMatch(t -> t.getHosts().contains(rule.getHost())),
                        where + ": host " + rule.getHost() + " is served without TLS");
                for (HTTPIngressPath path : rule.getHttp().getPaths()) {
                    var backend = path.getBackend().getService();
                    assertEquals("gateway", backend.getName(), where + " " + path.getPath());
                    ServicePort port = gateway.getSpec().getPorts().stream()
                            .filter(p -> backend.getPort().getName() != null
                                    ? backend.getPort().getName().equals(p.getName())
                                    : backend.getPort().getNumber().equals(p.getPort()))
                            .findFirst().orElseThrow(() -> new AssertionError(where + ": the gateway Service has no port " + backend.getPort()));
                    var target = port.getTargetPort();
                    var container = WorkloadPolicyTest.mainContainer(manifests.podTemplate("gateway"), "gateway");
                    int resolved = target.getStrVal() != null
                            ? container.getPorts().stream().filter(p -> target.getStrVal().equals(p.getName())).findFirst()
                                    .orElseThrow().getContainerPort()
                            : target.getIntVal();
                    assertEquals(containerPort, resolved, where + ": does not reach the gateway's HTTP port");
                    // The API, the SSE streams and /q/openapi all live under the one prefix.
                    assertEquals("/", path.getPath(), where);
                    assertEquals("Prefix", path.getPathType(), where);
                }
            }
        }
    }
}
