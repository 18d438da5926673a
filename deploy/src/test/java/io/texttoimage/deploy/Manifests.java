package io.texttoimage.deploy;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * One rendered kustomization, every object parsed strictly: built-in kinds against fabric8's Kubernetes model
 * (with any property the model does not know reported as an error), KEDA kinds against {@link Keda}.
 */
final class Manifests {
    static final String NAMESPACE = "text-to-image";

    /** apiVersion/kind → model class. A kind or API version that is not listed here fails the check. */
    private static final Map<String, Class<?>> MODEL = Map.ofEntries(
            Map.entry("v1/Namespace", Namespace.class),
            Map.entry("v1/ServiceAccount", ServiceAccount.class),
            Map.entry("v1/ConfigMap", ConfigMap.class),
            Map.entry("v1/Secret", Secret.class),
            Map.entry("v1/Service", Service.class),
            Map.entry("v1/PersistentVolumeClaim", PersistentVolumeClaim.class),
            Map.entry("apps/v1/Deployment", Deployment.class),
            Map.entry("apps/v1/StatefulSet", StatefulSet.class),
            Map.entry("batch/v1/Job", Job.class),
            Map.entry("policy/v1/PodDisruptionBudget", PodDisruptionBudget.class),
            Map.entry("autoscaling/v2/HorizontalPodAutoscaler", HorizontalPodAutoscaler.class),
            Map.entry("networking.k8s.io/v1/NetworkPolicy", NetworkPolicy.class),
            Map.entry("networking.k8s.io/v1/Ingress", Ingress.class),
            Map.entry(Keda.API_VERSION + "/ScaledObject", Keda.ScaledObject.class),
            Map.entry(Keda.API_VERSION + "/TriggerAuthentication", Keda.TriggerAuthentication.class));

    private static final YAMLMapper YAML = new YAMLMapper(new YAMLFactory());
    private static final ObjectMapper STRICT = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .build();
    private static final Map<String, Manifests> CACHE = new ConcurrentHashMap<>();

    final String name;
    final List<JsonNode> documents;
    final List<Object> objects;

    private Manifests(String name, List<JsonNode> documents, List<Object> objects) {
        this.name = name;
        this.documents = documents;
        this.objects = objects;
    }

    static Path deployRoot() {
        return Path.of(System.getProperty("deploy.root", ".")).toAbsolutePath().normalize();
    }

    static Path repositoryRoot() {
        return deployRoot().getParent();
    }

    static Path k8s() {
        return deployRoot().resolve("k8s");
    }

    /** Every overlay under k8s/overlays, by directory name. */
    static List<String> overlays() {
        try (Stream<Path> dirs = Files.list(k8s().resolve("overlays"))) {
            return dirs.filter(d -> Files.isRegularFile(d.resolve("kustomization.yaml")))
                    .map(d -> d.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    static Manifests overlay(String overlay) {
        return CACHE.computeIfAbsent(overlay, o -> parse(o, Kustomize.render(k8s().resolve("overlays").resolve(o))));
    }

    static Manifests base() {
        return CACHE.computeIfAbsent("base", o -> parse(o, Kustomize.render(k8s().resolve("base"))));
    }

    static Manifests parse(String name, String yaml) {
        List<JsonNode> documents = new ArrayList<>();
        List<Object> objects = new ArrayList<>();
        try (var parser = YAML.getFactory().createParser(yaml)) {
            for (var it = YAML.readValues(parser, JsonNode.class); it.hasNext(); ) {
                JsonNode document = it.next();
                if (document == null || document.isNull() || document.isMissingNode()) {
                    continue;
                }
                documents.add(document);
                objects.add(strict(document));
            }
        } catch (IOException e) {
            throw new AssertionError(name + ": rendered YAML does not parse: " + e.getMessage(), e);
        }
        if (objects.isEmpty()) {
            throw new AssertionError(name + ": rendered nothing");
        }
        return new Manifests(name, List.copyOf(documents), List.copyOf(objects));
    }

    /** Parses one object with the model class of its apiVersion/kind and rejects whatever the model does not know. */
    static Object strict(JsonNode document) {
        String type = document.path("apiVersion").asText() + "/" + document.path("kind").asText();
        String id = type + " " + document.path("metadata").path("name").asText("<no name>");
        Class<?> modelClass = MODEL.get(type);
        if (modelClass == null) {
            throw new AssertionError(id + ": no model for this apiVersion/kind (known: " + MODEL.keySet() + ")");
        }
        Object object;
        try {
            object = STRICT.treeToValue(document, modelClass);
        } catch (IOException e) {
            throw new AssertionError(id + ": does not match the API model: " + e.getMessage(), e);
        }
        List<String> unknown = new ArrayList<>();
        collectUnknownProperties(object, "", unknown, java.util.Collections.newSetFromMap(new IdentityHashMap<>()));
        if (!unknown.isEmpty()) {
            throw new AssertionError(id + ": fields unknown to the Kubernetes API model: " + unknown);
        }
        return object;
    }

    /**
     * fabric8's model classes keep fields they do not know in an {@code additionalProperties} map instead of
     * failing (Jackson's any-setter wins over FAIL_ON_UNKNOWN_PROPERTIES): walk the whole object and report them.
     */
    private static void collectUnknownProperties(Object value, String path, List<String> unknown, Set<Object> seen) {
        if (value == null || !seen.add(value)) {
            return;
        }
        if (value instanceof Map<?, ?> map) {
            map.forEach((k, v) -> collectUnknownProperties(v, path + "." + k, unknown, seen));
            return;
        }
        if (value instanceof Collection<?> collection) {
            int i = 0;
            for (Object item : collection) {
                collectUnknownProperties(item, path + "[" + i++ + "]", unknown, seen);
            }
            return;
        }
        Class<?> type = value.getClass();
        if (!type.getName().startsWith("io.fabric8.") && !type.getName().startsWith("io.texttoimage.")) {
            return;
        }
        if (type.isRecord()) {
            for (var component : type.getRecordComponents()) {
                try {
                    collectUnknownProperties(component.getAccessor().invoke(value), path + "." + component.getName(),
                            unknown, seen);
                } catch (ReflectiveOperationException e) {
                    throw new AssertionError(e);
                }
            }
            return;
        }
        for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
            for (Field field : c.getDeclaredFields()) {
                if (Modifier.isStatic(field.getModifiers())) {
                    continue;
                }
                field.setAccessible(true);
                Object fieldValue;
                try {
                    fieldValue = field.get(value);
                } catch (IllegalAccessException e) {
                    throw new AssertionError(e);
                }
                if (field.getName().equals("additionalProperties") && fieldValue instanceof Map<?, ?> extra) {
                    extra.keySet().forEach(k -> unknown.add(path + "." + k));
                } else {
                    collectUnknownProperties(fieldValue, path + "." + field.getName(), unknown, seen);
                }
            }
        }
    }

    // ---- typed views -------------------------------------------------------------------------------------------

    <T> List<T> all(Class<T> type) {
        return objects.stream().filter(type::isInstance).map(type::cast).toList();
    }

    <T extends HasMetadata> Optional<T> find(Class<T> type, String objectName) {
        return all(type).stream().filter(o -> objectName.equals(o.getMetadata().getName())).findFirst();
    }

    <T extends HasMetadata> T get(Class<T> type, String objectName) {
        return find(type, objectName).orElseThrow(() -> new AssertionError(
                name + ": no " + type.getSimpleName() + " named " + objectName));
    }

    List<Keda.ScaledObject> scaledObjects() {
        return all(Keda.ScaledObject.class);
    }

    List<Keda.TriggerAuthentication> triggerAuthentications() {
        return all(Keda.TriggerAuthentication.class);
    }

    /** The ConfigMap generated from {@code configMapGenerator} name (kustomize appends a content hash). */
    ConfigMap generatedConfigMap(String baseName) {
        List<ConfigMap> matches = all(ConfigMap.class).stream()
                .filter(c -> c.getMetadata().getName().matches(java.util.regex.Pattern.quote(baseName) + "-[a-z0-9]{10}"))
                .toList();
        if (matches.size() != 1) {
            throw new AssertionError(name + ": expected one generated ConfigMap " + baseName + "-<hash>, found " + matches);
        }
        return matches.get(0);
    }

    /** Every workload's pod template, keyed by "Kind/name". */
    Map<String, PodTemplateSpec> podTemplates() {
        Map<String, PodTemplateSpec> templates = new LinkedHashMap<>();
        all(Deployment.class).forEach(d -> templates.put("Deployment/" + d.getMetadata().getName(), d.getSpec().getTemplate()));
        all(StatefulSet.class).forEach(s -> templates.put("StatefulSet/" + s.getMetadata().getName(), s.getSpec().getTemplate()));
        all(Job.class).forEach(j -> templates.put("Job/" + j.getMetadata().getName(), j.getSpec().getTemplate()));
        return templates;
    }

    PodTemplateSpec podTemplate(String deploymentName) {
        return get(Deployment.class, deploymentName).getSpec().getTemplate();
    }

    @Override
    public String toString() {
        return name;
    }
}
