package io.texttoimage.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.texttoimage.broker.Topology;
import java.util.List;
import org.junit.jupiter.api.Test;

/** KEDA for the generators (production), an HPA for the gateway (everywhere). */
class AutoscalingTest {
    private final Manifests production = Manifests.overlay("production");

    private Keda.ScaledObject generatorScaledObject() {
        List<Keda.ScaledObject> scaledObjects = production.scaledObjects();
        assertEquals(1, scaledObjects.size(), "production has one ScaledObject");
        Keda.ScaledObject scaledObject = scaledObjects.get(0);
        assertEquals("generator", scaledObject.spec().scaleTargetRef().name());
        return scaledObject;
    }

    @Test
    void theTriggerWatchesTheRealJobQueueThroughTheManagementApi() {
        Keda.Trigger trigger = generatorScaledObject().spec().triggers().get(0);
        assertEquals("rabbitmq", trigger.type());
        // The queue name is built exactly as the services build it, from the prefix they are configured with.
        String prefix = production.generatedConfigMap("messaging-config").getData().get("T2I_MESSAGING_PREFIX");
        assertEquals(Topology.DEFAULT_PREFIX, prefix);
        assertEquals(new Topology(prefix).workQueue(), trigger.metadata().get("queueName"));
        // http = management API, where a queue's depth is ready + unacknowledged: running jobs count too.
        assertEquals("http", trigger.metadata().get("protocol"));
        assertNotEquals("true", trigger.metadata().get("excludeUnacknowledged"));
        assertEquals("QueueLength", trigger.metadata().get("mode"));
        assertEquals("1", trigger.metadata().get("value"), "one job per worker (prefetch 1)");
        assertTrue(Keda.RABBITMQ_TRIGGER_KEYS.containsAll(trigger.metadata().keySet()),
                "unknown rabbitmq trigger keys: " + trigger.metadata().keySet());
    }

    @Test
    void theTriggerAuthenticatesWithTheManagementUriFromTheRabbitmqSecret() {
        String name = generatorScaledObject().spec().triggers().get(0).authenticationRef().name();
        Keda.TriggerAuthentication authentication = production.triggerAuthentications().stream()
                .filter(a -> a.metadata().getName().equals(name)).findFirst().orElseThrow();
        assertEquals(List.of(new Keda.SecretTargetRef("host", "t2i-rabbitmq", "management-uri")),
                authentication.spec().secretTargetRef());
        authentication.spec().secretTargetRef().forEach(ref ->
                assertTrue(Keda.RABBITMQ_AUTH_PARAMETERS.contains(ref.parameter()), ref.parameter()));
    }

    @Test
    void generatorsScaleToZeroWithBoundsAndScaleInSlowly() {
        Keda.ScaledObjectSpec spec = generatorScaledObject().spec();
        assertEquals(0, spec.minReplicaCount(), "production scales to zero when idle");
        assertTrue(spec.maxReplicaCount() >= 1 && spec.maxReplicaCount() >= spec.minReplicaCount());
        assertTrue(spec.cooldownPeriod() >= 60, "cooldown before scaling to zero");
        assertTrue(spec.pollingInterval() > 0 && spec.pollingInterval() <= 30, "activation latency");
        var scaleDown = spec.advanced().horizontalPodAutoscalerConfig().behavior().getScaleDown();
        assertTrue(scaleDown.getStabilizationWindowSeconds() >= 60, "scale-in waits for a stable lower demand");
        assertTrue(scaleDown.getPolicies().stream().allMatch(p -> p.getType().equals("Pods") && p.getValue() == 1),
                "scale-in removes one worker at a time");
    }

    @Test
    void onlyOverlaysWithKedaHaveAScaledObject() {
        // The local overlay must apply on a laptop cluster without KEDA's CRDs.
        assertTrue(Manifests.overlay("local").scaledObjects().isEmpty());
        assertTrue(Manifests.base().scaledObjects().isEmpty());
    }

    @Test
    void theGatewayScalesOnCpuWithAtLeastTwoReplicasInProduction() {
        HorizontalPodAutoscaler hpa = production.get(HorizontalPodAutoscaler.class, "gateway");
        assertTrue(hpa.getSpec().getMinReplicas() >= 2);
        assertTrue(hpa.getSpec().getMaxReplicas() > hpa.getSpec().getMinReplicas());
        var cpu = hpa.getSpec().getMetrics().get(0).getResource();
        assertEquals("cpu", cpu.getName());
        assertNotNull(cpu.getTarget().getAverageUtilization());
        assertTrue(hpa.getSpec().getBehavior().getScaleDown().getStabilizationWindowSeconds() >= 60);
    }
}
