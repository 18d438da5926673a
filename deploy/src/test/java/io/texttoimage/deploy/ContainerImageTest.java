package io.texttoimage.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The images, built for real without a Docker daemon (Jib, to a docker-load tarball under deploy/target/images),
 * then opened: the image config's entrypoint, user and exposed port are those of the Dockerfile, and the ones the
 * manifests rely on (runAsUser/runAsGroup, containerPort), and the layers hold the packaged fast-jar. Runs once
 * the services are packaged (the reactor builds this module last), like DockerBuildContextTest. The GPU image is
 * not built here: its Java comes from a second build stage, which Jib cannot express (Docker builds it).
 */
class ContainerImageTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    record Image(JsonNode config, Set<String> files) {
    }

    @ParameterizedTest
    @ValueSource(strings = {"gateway", "storage-adapter", "generator-cpu"})
    void theBuiltImageRunsTheFastJarAsTheManifestsUserOnTheManifestsPort(String name) throws Exception {
        DockerBuildContextTest.packagedApp(name);
        long start = System.nanoTime();
        JibImages.Built built = JibImages.build(name);
        System.out.printf("%s: built %s (%s base) in %.1f s, %d MB, %s; not applied (no container runtime): %s%n",
                name, built.reference(), JibImages.baseFromDockerfile() ? "Dockerfile" : "empty", (System.nanoTime() - start) / 1e9,
                Files.size(built.tar()) >> 20, built.digest(), built.skipped());
        Image image = open(built.tar(), built.reference());
        JsonNode config = image.config().path("config");
        String where = built.tar().getFileName() + " config";

        List<String> entrypoint = strings(config.path("Entrypoint"));
        assertEquals(name.equals("generator-cpu") ? List.of("sh", "/deployments/generator-entrypoint.sh")
                : List.of("java", "-Djava.util.logging.manager=org.jboss.logmanager.LogManager", "-jar",
                "/deployments/quarkus-run.jar"), entrypoint, where + " Entrypoint");
        if (name.equals("generator-cpu")) {
            assertTrue(image.files().contains("deployments/generator-entrypoint.sh"), where + ": no entrypoint script");
        }
        assertTrue(config.path("Cmd").isMissingNode() || config.path("Cmd").isNull() || config.path("Cmd").isEmpty(),
                where + ": no Cmd appended to the entrypoint");
        assertEquals("/deployments", config.path("WorkingDir").asText(), where + " WorkingDir");
        assertTrue(image.files().contains("deployments/quarkus-run.jar"), where + ": no /deployments/quarkus-run.jar");
        assertTrue(image.files().stream().anyMatch(f -> f.startsWith("deployments/lib/main/")), where + ": no lib/main");
        assertTrue(image.files().stream().anyMatch(f -> f.startsWith("deployments/quarkus/")), where + ": no quarkus/");

        String user = config.path("User").asText();
        assertTrue(user.matches("[1-9]\\d*:[1-9]\\d*"), where + ": User " + user + " is not a numeric non-root uid:gid");
        int port = DockerfileTest.PORT_OF_IMAGE.get(name);
        int management = DockerfileTest.MANAGEMENT_PORT_OF_IMAGE.get(name);
        assertEquals(Set.of(port + "/tcp", management + "/tcp"), fieldNames(config.path("ExposedPorts")), where + " ExposedPorts");
        Map<String, String> env = env(config.path("Env"));
        assertEquals(String.valueOf(port), env.get("QUARKUS_HTTP_PORT"), where + ": listens where it exposes");
        assertEquals("0.0.0.0", env.get("QUARKUS_HTTP_HOST"), where);
        assertEquals(String.valueOf(management), env.get("QUARKUS_MANAGEMENT_PORT"), where + ": health where it exposes");

        int workloads = 0;
        for (String overlay : Manifests.overlays()) {
            Manifests manifests = Manifests.overlay(overlay);
            for (var entry : manifests.podTemplates().entrySet()) {
                PodSecurityContext pod = entry.getValue().getSpec().getSecurityContext();
                for (Container container : entry.getValue().getSpec().getContainers()) {
                    if (!runs(container.getImage(), name)) {
                        continue;
                    }
                    workloads++;
                    String in = overlay + ": " + entry.getKey() + "/" + container.getName();
                    assertEquals(user, pod.getRunAsUser() + ":" + pod.getRunAsGroup(), in + " runs as another user than the image");
                    assertEquals(List.of(port, management), container.getPorts().stream().map(p -> p.getContainerPort()).toList(),
                            in + " containerPorts are not the image's exposed ports (API, management)");
                }
            }
        }
        assertTrue(workloads > 0, "no overlay runs " + name);
    }

    static boolean runs(String reference, String image) {
        String repository = reference.replaceFirst("@sha256:[0-9a-f]+$", "").replaceFirst(":[^:/]+$", "");
        return repository.endsWith("/" + image);
    }

    /** Reads manifest.json, the config it names and the file names of every layer of a docker-load tarball. */
    static Image open(Path tar, String reference) throws IOException {
        Map<String, byte[]> entries = new HashMap<>();
        try (var in = new TarArchiveInputStream(Files.newInputStream(tar))) {
            for (TarArchiveEntry entry; (entry = in.getNextEntry()) != null; ) {
                if (entry.isFile()) {
                    entries.put(entry.getName(), in.readAllBytes());
                }
            }
        }
        JsonNode manifest = JSON.readTree(entries.get("manifest.json"));
        assertNotNull(manifest, tar + " has no manifest.json");
        assertEquals(1, manifest.size(), tar + ": one image");
        assertEquals(List.of(reference), strings(manifest.get(0).path("RepoTags")), tar + " RepoTags");
        JsonNode config = JSON.readTree(entries.get(manifest.get(0).path("Config").asText()));
        Set<String> files = new TreeSet<>();
        for (JsonNode layer : manifest.get(0).path("Layers")) {
            byte[] blob = entries.get(layer.asText());
            assertNotNull(blob, tar + ": layer " + layer + " missing");
            try (InputStream gz = new GZIPInputStream(new java.io.ByteArrayInputStream(blob));
                 var in = new TarArchiveInputStream(gz)) {
                for (TarArchiveEntry entry; (entry = in.getNextEntry()) != null; ) {
                    String name = entry.getName().replaceFirst("^\\./", "").replaceFirst("^/", "");
                    files.add(name);
                    assertEquals(0, entry.getLongUserId(), tar + ": " + name + " should be owned by root (read-only code)");
                    assertFalse((entry.getMode() & 0022) != 0 && entry.isFile(), tar + ": " + name + " is group/world-writable");
                }
            }
        }
        return new Image(config, files);
    }

    private static List<String> strings(JsonNode array) {
        List<String> values = new ArrayList<>();
        array.forEach(v -> values.add(v.asText()));
        return values;
    }

    private static Set<String> fieldNames(JsonNode object) {
        Set<String> names = new TreeSet<>();
        object.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static Map<String, String> env(JsonNode array) {
        Map<String, String> env = new HashMap<>();
        for (String pair : strings(array)) {
            String[] kv = pair.split("=", 2);
            env.put(kv[0], kv.length > 1 ? kv[1] : "");
        }
        return env;
    }
}
