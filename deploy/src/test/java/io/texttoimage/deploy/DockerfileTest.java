package io.texttoimage.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Static checks of src/main/docker (no Docker daemon on CI): pinned bases, non-root numeric user, the port the
 * service listens on is the one exposed and the one the manifests use, exec-form Quarkus entrypoint, fast-jar
 * layer order, labels, and the CUDA base of the GPU image.
 */
class DockerfileTest {
    static final Path DOCKER = Manifests.repositoryRoot().resolve("src/main/docker");
    static final Map<String, String> MODULE_OF_IMAGE = Map.of("gateway", "gateway", "storage-adapter", "storage-adapter",
            "generator-cpu", "generator", "generator-gpu", "generator");
    static final Map<String, Integer> PORT_OF_IMAGE = Map.of("gateway", 8080, "storage-adapter", 8082,
            "generator-cpu", 8081, "generator-gpu", 8081);
    /** Health and metrics: the management interface, 1000 above the API port. */
    static final Map<String, Integer> MANAGEMENT_PORT_OF_IMAGE = Map.of("gateway", 9080, "storage-adapter", 9082,
            "generator-cpu", 9081, "generator-gpu", 9081);

    record Instruction(String keyword, String arguments) {
    }

    /** Dockerfile instructions with comments dropped and continuation lines joined. */
    static List<Instruction> parse(Path dockerfile) throws IOException {
        List<Instruction> instructions = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : Files.readAllLines(dockerfile)) {
            String trimmed = line.strip();
            if (trimmed.startsWith("#") || (trimmed.isEmpty() && current.isEmpty())) {
                continue;
            }
            if (trimmed.endsWith("\\")) {
                current.append(trimmed, 0, trimmed.length() - 1).append(' ');
                continue;
            }
            current.append(trimmed);
            String full = current.toString().strip();
            current.setLength(0);
            if (full.isEmpty()) {
                continue;
            }
            int space = full.indexOf(' ');
            instructions.add(new Instruction(full.substring(0, space).toUpperCase(), full.substring(space + 1).strip()));
        }
        assertTrue(current.isEmpty(), dockerfile + " ends inside a continued line");
        return instructions;
    }

    static List<Instruction> finalStage(List<Instruction> all) {
        int lastFrom = 0;
        for (int i = 0; i < all.size(); i++) {
            if (all.get(i).keyword().equals("FROM")) {
                lastFrom = i;
            }
        }
        return all.subList(lastFrom, all.size());
    }

    static List<String> arguments(List<Instruction> instructions, String keyword) {
        return instructions.stream().filter(i -> i.keyword().equals(keyword)).map(Instruction::arguments).toList();
    }

    /** KEY=value pairs of ENV or LABEL instructions (values may be double-quoted). */
    static Map<String, String> pairs(List<Instruction> instructions, String keyword) {
        Map<String, String> pairs = new LinkedHashMap<>();
        Pattern pair = Pattern.compile("([A-Za-z0-9_.-]+)=(\"(?:[^\"\\\\]|\\\\.)*\"|\\S+)");
        for (String args : arguments(instructions, keyword)) {
            Matcher m = pair.matcher(args);
            while (m.find()) {
                String value = m.group(2);
                pairs.put(m.group(1), value.startsWith("\"") ? value.substring(1, value.length() - 1) : value);
            }
        }
        return pairs;
    }

    @Test
    void thereIsAnImageForEveryServiceVariant() {
        for (String image : MODULE_OF_IMAGE.keySet()) {
            assertTrue(Files.isRegularFile(DOCKER.resolve("Dockerfile." + image)), "missing Dockerfile." + image);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gateway", "storage-adapter", "generator-cpu", "generator-gpu"})
    void baseImagesArePinnedAndTheJreMatchesTheBuild(String image) throws IOException {
        List<Instruction> instructions = parse(DOCKER.resolve("Dockerfile." + image));
        List<String> stages = new ArrayList<>();
        for (String from : arguments(instructions, "FROM")) {
            String[] words = from.split("\\s+");
            String base = words[0];
            if (!stages.contains(base)) {
                WorkloadPolicyTest.assertPinned("Dockerfile." + image + " FROM", base);
            }
            if (words.length == 3 && words[1].equalsIgnoreCase("AS")) {
                stages.add(words[2]);
            }
            Matcher temurin = Pattern.compile("eclipse-temurin:(\\d+)").matcher(base);
            if (temurin.find()) {
                assertTrue(Integer.parseInt(temurin.group(1)) >= 21, base + ": the code is compiled for Java 21");
                assertTrue(base.contains("-jre"), base + ": a JRE is enough at run time");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gateway", "storage-adapter", "generator-cpu", "generator-gpu"})
    void theImageRunsTheQuarkusFastJarAsANonRootUserOnItsPort(String image) throws IOException {
        List<Instruction> stage = finalStage(parse(DOCKER.resolve("Dockerfile." + image)));
        String where = "Dockerfile." + image;

        List<String> users = arguments(stage, "USER");
        assertFalse(users.isEmpty(), where + " has no USER: it would run as root");
        String user = users.get(users.size() - 1).split(":")[0];
        assertTrue(user.matches("\\d+") && Integer.parseInt(user) > 0,
                where + ": USER " + user + " must be a numeric non-root UID (runAsNonRoot can only verify numbers)");

        int port = PORT_OF_IMAGE.get(image);
        int management = MANAGEMENT_PORT_OF_IMAGE.get(image);
        assertEquals(List.of(port + " " + management), arguments(stage, "EXPOSE"), where + " EXPOSE");
        Map<String, String> env = pairs(stage, "ENV");
        assertEquals(String.valueOf(port), env.get("QUARKUS_HTTP_PORT"), where + ": listens where it exposes");
        assertEquals(String.valueOf(management), env.get("QUARKUS_MANAGEMENT_PORT"), where + ": health where it exposes");
        assertEquals("0.0.0.0", env.get("QUARKUS_HTTP_HOST"), where);
        assertEquals("0.0.0.0", env.get("QUARKUS_MANAGEMENT_HOST"), where + ": the kubelet probes from outside the pod");
        assertTrue(env.get("JAVA_TOOL_OPTIONS").contains("MaxRAMPercentage"), where + ": heap follows the memory limit");

        List<String> entrypoints = arguments(stage, "ENTRYPOINT");
        assertEquals(1, entrypoints.size(), where + " ENTRYPOINT");
        List<?> entrypoint = new ObjectMapper().readValue(entrypoints.get(0), List.class); // exec form = JSON array
        if (image.equals("generator-cpu")) {
            // The JVM AOT cache's launcher, which runs `java … -jar /deployments/quarkus-run.jar` itself
            // (GeneratorEntrypointScriptTest runs it).
            assertEquals(List.of("sh", "/deployments/" + GeneratorEntrypointScriptTest.SCRIPT.getFileName()), entrypoint, where);
        } else {
            assertEquals("java", entrypoint.get(0), where);
            assertEquals(List.of("-jar", "/deployments/quarkus-run.jar"), entrypoint.subList(entrypoint.size() - 2, entrypoint.size()));
        }

        Map<String, String> labels = pairs(stage, "LABEL");
        for (String label : List.of("org.opencontainers.image.title", "org.opencontainers.image.version",
                "org.opencontainers.image.description", "io.texttoimage.component")) {
            assertNotNull(labels.get(label), where + " lacks label " + label);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gateway", "storage-adapter", "generator-cpu", "generator-gpu"})
    void layersGoFromDependenciesToCodeAndComeFromAModuleOfTheBuild(String image) throws IOException {
        List<Instruction> stage = finalStage(parse(DOCKER.resolve("Dockerfile." + image)));
        String module = MODULE_OF_IMAGE.get(image);
        String app = module + "/target/quarkus-app/";
        List<String> sources = arguments(stage, "COPY").stream().filter(c -> !c.startsWith("--from"))
                .map(c -> c.split("\\s+")[0]).toList();
        List<String> layers = new ArrayList<>(List.of(app + "lib/", app + "*.jar", app + "app/", app + "quarkus/"));
        if (image.equals("generator-cpu")) {
            layers.add("src/main/docker/" + GeneratorEntrypointScriptTest.SCRIPT.getFileName());
        }
        assertEquals(layers, sources, "Dockerfile." + image + ": fast-jar layers, least to most often changed");
        String parentPom = Files.readString(Manifests.repositoryRoot().resolve("pom.xml"));
        assertTrue(parentPom.contains("<module>" + module + "</module>"), module + " is not a module of the build");
        // BuildKit's per-Dockerfile ignore file keeps the context to the packaged application.
        String ignore = Files.readString(DOCKER.resolve("Dockerfile." + image + ".dockerignore"));
        assertTrue(ignore.lines().anyMatch(l -> l.strip().equals("*")), image + ".dockerignore must exclude by default");
        assertTrue(ignore.lines().anyMatch(l -> l.strip().equals("!" + app)), image + ".dockerignore must let " + app + " in");
        for (String source : layers.subList(4, layers.size())) {
            assertTrue(ignore.lines().anyMatch(l -> l.strip().equals("!" + source)), image + ".dockerignore must let " + source + " in");
        }
    }

    @Test
    void theGpuImageHasCuda12WithCudnn9AndTheCudaRuntimeOfOnnxRuntime() throws IOException {
        List<Instruction> all = parse(DOCKER.resolve("Dockerfile.generator-gpu"));
        List<Instruction> stage = finalStage(all);
        String base = stage.get(0).arguments();
        assertTrue(base.matches("nvidia/cuda:12\\.\\d+(\\.\\d+)?-cudnn-runtime-ubuntu\\d+\\.\\d+"),
                "onnxruntime_gpu links libcudart.so.12, libcublas.so.12 and cuDNN 9: " + base);
        assertTrue(arguments(stage, "COPY").stream().anyMatch(c -> c.matches("--from=\\S+ /opt/java/openjdk /opt/java/openjdk")),
                "the CUDA base has no Java: copy the JRE in");
        assertTrue(pairs(stage, "ENV").get("PATH").startsWith("/opt/java/openjdk/bin:"));
        assertTrue(arguments(stage, "RUN").stream().anyMatch(r -> r.contains("com.microsoft.onnxruntime.onnxruntime_gpu-")),
                "the build must refuse a generator packaged without -Pgpu");
        assertEquals("true", pairs(stage, "ENV").get("T2I_GENERATOR_ORT_USE_CUDA"));
        // The gpu profile in the parent pom is what swaps the artifact.
        String parentPom = Files.readString(Manifests.repositoryRoot().resolve("pom.xml"));
        assertTrue(parentPom.contains("<onnxruntime.artifact>onnxruntime_gpu</onnxruntime.artifact>"));

        List<Instruction> cpu = finalStage(parse(DOCKER.resolve("Dockerfile.generator-cpu")));
        assertTrue(arguments(cpu, "RUN").stream().anyMatch(r -> r.contains("com.microsoft.onnxruntime.onnxruntime-")),
                "the CPU image must refuse a -Pgpu build");
        assertEquals("false", pairs(cpu, "ENV").get("T2I_GENERATOR_ORT_USE_CUDA"));
    }

    @Test
    void everyImageTheManifestsRunIsBuiltHere() {
        for (String overlay : Manifests.overlays()) {
            Manifests manifests = Manifests.overlay(overlay);
            manifests.podTemplates().forEach((workload, template) -> ManifestRenderingTest.containers(template.getSpec())
                    .forEach(container -> {
                        String repository = container.getImage().replaceFirst("@sha256:[0-9a-f]+$", "").replaceFirst(":[^:/]+$", "");
                        String name = repository.substring(repository.lastIndexOf('/') + 1);
                        if (repository.startsWith("t2i/") || repository.contains("/text-to-image/")) {
                            assertTrue(Files.isRegularFile(DOCKER.resolve("Dockerfile." + name)),
                                    overlay + ": " + workload + " runs " + container.getImage() + " with no Dockerfile." + name);
                            Set<Integer> exposed = Set.of(PORT_OF_IMAGE.get(name), MANAGEMENT_PORT_OF_IMAGE.get(name));
                            container.getPorts().forEach(p -> assertTrue(exposed.contains(p.getContainerPort()),
                                    overlay + ": " + workload + " port " + p.getContainerPort() + " is not one the image EXPOSEs"));
                        }
                    }));
        }
    }
}
