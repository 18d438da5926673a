package io.texttoimage.deploy;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscalerBehavior;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Our own small schema of the KEDA custom resources we use (keda.sh/v1alpha1), a subset of KEDA's CRDs.
 * Parsed with unknown properties rejected, so a misspelt or misplaced field fails the build instead of being
 * silently ignored by the cluster's KEDA operator.
 */
final class Keda {
    private Keda() {
    }

    static final String API_VERSION = "keda.sh/v1alpha1";

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record ScaledObject(String apiVersion, String kind, ObjectMeta metadata, ScaledObjectSpec spec) {
    }

    record ScaledObjectSpec(ScaleTargetRef scaleTargetRef, Integer pollingInterval, Integer cooldownPeriod,
                            Integer initialCooldownPeriod, Integer idleReplicaCount, Integer minReplicaCount,
                            Integer maxReplicaCount, Advanced advanced, Fallback fallback, List<Trigger> triggers) {
    }

    record ScaleTargetRef(String apiVersion, String kind, String name, String envSourceContainerName) {
    }

    record Advanced(Boolean restoreToOriginalReplicaCount, HorizontalPodAutoscalerConfig horizontalPodAutoscalerConfig) {
    }

    /** The HPA behaviour KEDA passes on: typed with the Kubernetes model, so its fields are checked too. */
    record HorizontalPodAutoscalerConfig(String name, HorizontalPodAutoscalerBehavior behavior) {
    }

    record Fallback(Integer failureThreshold, Integer replicas) {
    }

    record Trigger(String type, String name, String metricType, Boolean useCachedMetrics,
                   Map<String, String> metadata, AuthenticationRef authenticationRef) {
    }

    record AuthenticationRef(String name, String kind) {
    }

    record TriggerAuthentication(String apiVersion, String kind, ObjectMeta metadata, TriggerAuthenticationSpec spec) {
    }

    record TriggerAuthenticationSpec(List<SecretTargetRef> secretTargetRef, List<EnvTargetRef> env) {
    }

    record SecretTargetRef(String parameter, String name, String key) {
    }

    record EnvTargetRef(String parameter, String name, String containerName) {
    }

    /** Metadata keys KEDA's rabbitmq scaler understands (KEDA 2.10+ documentation of the scaler). */
    static final Set<String> RABBITMQ_TRIGGER_KEYS = Set.of("host", "hostFromEnv", "usernameFromEnv",
            "passwordFromEnv", "protocol", "mode", "value", "activationValue", "queueName", "vhostName", "useRegex",
            "excludeUnacknowledged", "pageSize", "operation", "timeout", "unsafeSsl");

    /** Parameters a rabbitmq TriggerAuthentication may set. */
    static final Set<String> RABBITMQ_AUTH_PARAMETERS = Set.of("host", "username", "password", "tls", "ca", "cert",
            "key", "keyPassword", "workloadIdentityResource");
}
