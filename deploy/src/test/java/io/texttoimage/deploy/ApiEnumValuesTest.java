package io.texttoimage.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * fabric8's model types these fields as plain strings, so a value the API server would refuse ("ScheduleAnyWay",
 * "tcp", "IfNotPresents") parses. This checks the enumerated fields the manifests use against the values the
 * Kubernetes API (and KEDA) accept.
 */
class ApiEnumValuesTest {
    record Rule(Pattern path, Set<String> allowed) {
    }

    static Rule rule(String pathRegex, String... allowed) {
        return new Rule(Pattern.compile(pathRegex), Set.of(allowed));
    }

    static final List<Rule> RULES = List.of(
            rule(".*\\.(containers|initContainers)\\[\\]\\.imagePullPolicy", "Always", "IfNotPresent", "Never"),
            rule("Job:spec\\.template\\.spec\\.restartPolicy", "OnFailure", "Never"),
            rule(".*\\.topologySpreadConstraints\\[\\]\\.whenUnsatisfiable", "DoNotSchedule", "ScheduleAnyway"),
            rule(".*\\.ports\\[\\]\\.protocol", "TCP", "UDP", "SCTP"),
            rule("NetworkPolicy:spec\\.policyTypes\\[\\]", "Ingress", "Egress"),
            rule(".*\\.accessModes\\[\\]", "ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"),
            rule(".*\\.tolerations\\[\\]\\.operator", "Exists", "Equal"),
            rule(".*\\.tolerations\\[\\]\\.effect", "NoSchedule", "PreferNoSchedule", "NoExecute"),
            rule("Deployment:spec\\.strategy\\.type", "RollingUpdate", "Recreate"),
            rule(".*\\.seccompProfile\\.type", "RuntimeDefault", "Localhost", "Unconfined"),
            rule(".*\\.capabilities\\.drop\\[\\]", "ALL"),
            rule("Service:spec\\.type", "ClusterIP", "NodePort", "LoadBalancer", "ExternalName"),
            rule("HorizontalPodAutoscaler:spec\\.metrics\\[\\]\\.type", "Resource", "Pods", "Object", "External", "ContainerResource"),
            rule(".*\\.target\\.type", "Utilization", "Value", "AverageValue"),
            rule(".*\\.behavior\\.scale(Up|Down)\\.policies\\[\\]\\.type", "Pods", "Percent"),
            rule(".*\\.resources\\.(requests|limits)\\.[^.]+:key", "cpu", "memory", "ephemeral-storage", "storage", "nvidia.com/gpu"),
            rule("ScaledObject:spec\\.triggers\\[\\]\\.metadata\\.protocol", "amqp", "http", "auto"),
            rule("ScaledObject:spec\\.triggers\\[\\]\\.metadata\\.mode", "QueueLength", "MessageRate"),
            rule("ScaledObject:spec\\.triggers\\[\\]\\.type", "rabbitmq"));

    @Test
    void enumeratedFieldsHoldValuesTheApiAccepts() {
        List<String> violations = new ArrayList<>();
        Set<Rule> used = new HashSet<>();
        List<Manifests> all = new ArrayList<>();
        all.add(Manifests.base());
        Manifests.overlays().forEach(o -> all.add(Manifests.overlay(o)));
        for (Manifests manifests : all) {
            for (JsonNode document : manifests.documents) {
                String kind = document.path("kind").asText();
                walk(document, kind + ":", (path, value) -> {
                    for (Rule rule : RULES) {
                        if (rule.path().matcher(path).matches()) {
                            used.add(rule);
                            if (!rule.allowed().contains(value)) {
                                violations.add(manifests + " " + path + " = " + value);
                            }
                        }
                    }
                });
            }
        }
        assertEquals(List.of(), violations);
        List<String> unused = RULES.stream().filter(r -> !used.contains(r)).map(r -> r.path().pattern()).toList();
        assertTrue(unused.isEmpty(), "rules that check nothing (paths changed?): " + unused);
    }

    @Test
    void aWrongCaseIsCaught() {
        List<String> seen = new ArrayList<>();
        JsonNode document = Manifests.parse("case", """
                apiVersion: v1
                kind: Service
                metadata: {name: x}
                spec: {ports: [{port: 80, protocol: tcp}]}
                """).documents.get(0);
        walk(document, "Service:", (path, value) -> RULES.stream().filter(r -> r.path().matcher(path).matches())
                .filter(r -> !r.allowed().contains(value)).forEach(r -> seen.add(path)));
        assertEquals(List.of("Service:spec.ports[].protocol"), seen);
    }

    /** Calls back with (path, scalar) for every scalar, and (path + ":key", key) for every key of a map. */
    static void walk(JsonNode node, String path, BiConsumer<String, String> visitor) {
        if (node.isObject()) {
            node.fieldNames().forEachRemaining(name -> {
                String child = path.endsWith(":") ? path + name : path + "." + name;
                visitor.accept(child + ":key", name);
                walk(node.get(name), child, visitor);
            });
        } else if (node.isArray()) {
            node.forEach(item -> walk(item, path + "[]", visitor));
        } else if (!node.isNull()) {
            visitor.accept(path, node.asText());
        }
    }
}
