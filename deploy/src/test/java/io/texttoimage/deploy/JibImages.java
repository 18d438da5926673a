package io.texttoimage.deploy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.cloud.tools.jib.api.Containerizer;
import com.google.cloud.tools.jib.api.ImageReference;
import com.google.cloud.tools.jib.api.Jib;
import com.google.cloud.tools.jib.api.JibContainer;
import com.google.cloud.tools.jib.api.JibContainerBuilder;
import com.google.cloud.tools.jib.api.RegistryImage;
import com.google.cloud.tools.jib.api.TarImage;
import com.google.cloud.tools.jib.api.buildplan.AbsoluteUnixPath;
import com.google.cloud.tools.jib.api.buildplan.FileEntriesLayer;
import com.google.cloud.tools.jib.api.buildplan.Port;
import io.texttoimage.deploy.DockerfileTest.Instruction;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Builds an image tarball (docker-load format) with Jib, without a Docker daemon, from the final stage of one of
 * the Dockerfiles in src/main/docker, so the Dockerfile stays the one description of the image: its COPY lines
 * become the layers (same order), its ENV, LABEL, EXPOSE, USER, WORKDIR and ENTRYPOINT the image config.
 * RUN lines cannot run without a container runtime: the ONNX Runtime guard ({@code ls <jar>}) is evaluated on the
 * packaged files instead, the others (the user/group entries of /etc/passwd, which the numeric UID does not need)
 * are left out and reported.
 *
 * <p>Base: the Dockerfile's FROM, pulled from its registry, when {@code t2i.images.base=dockerfile}
 * (deploy/smoke-test.sh); otherwise an empty base ({@code scratch}), because CI has no registry to pull from.
 * The application layers and the config are the same either way; only the JRE and OS layers differ.
 */
final class JibImages {
    static final String BASE_PROPERTY = "t2i.images.base";
    static final String TAG_PROPERTY = "t2i.images.tag";

    record Built(Path tar, String reference, String digest, List<String> skipped) {
    }

    private JibImages() {
    }

    static boolean baseFromDockerfile() {
        return "dockerfile".equals(System.getProperty(BASE_PROPERTY, "scratch"));
    }

    static String tag() {
        return System.getProperty(TAG_PROPERTY, "0.1.0");
    }

    static Path outputDir() {
        return Manifests.deployRoot().resolve("target/images");
    }

    /** Builds t2i/{image}:{tag} into target/images/{image}.tar. */
    static Built build(String image) throws Exception {
        Path dockerfile = DockerfileTest.DOCKER.resolve("Dockerfile." + image);
        List<Instruction> all = DockerfileTest.parse(dockerfile);
        List<Instruction> stage = DockerfileTest.finalStage(all);
        Map<String, String> args = buildArgs(all);
        Path root = Manifests.repositoryRoot();

        String from = stage.get(0).arguments().split("\\s+")[0];
        JibContainerBuilder builder = baseFromDockerfile()
                ? Jib.from(RegistryImage.named(ImageReference.parse(from)))
                : Jib.fromScratch();
        AbsoluteUnixPath workdir = AbsoluteUnixPath.get("/");
        List<String> skipped = new ArrayList<>();
        Map<String, String> labels = new LinkedHashMap<>();
        Set<Port> ports = new LinkedHashSet<>();
        int layer = 0;
        for (Instruction instruction : stage.subList(1, stage.size())) {
            String arguments = substitute(instruction.arguments(), args);
            switch (instruction.keyword()) {
                case "COPY" -> builder.addFileEntriesLayer(copyLayer("copy-" + layer++, root, arguments));
                case "ENV" -> DockerfileTest.pairs(List.of(new Instruction("ENV", arguments)), "ENV")
                        .forEach(builder::addEnvironmentVariable);
                case "LABEL" -> labels.putAll(DockerfileTest.pairs(List.of(new Instruction("LABEL", arguments)), "LABEL"));
                case "EXPOSE" -> {
                    for (String port : arguments.split("\\s+")) {
                        ports.add(Port.tcp(Integer.parseInt(port.replace("/tcp", ""))));
                    }
                }
                case "USER" -> builder.setUser(arguments);
                case "WORKDIR" -> {
                    workdir = AbsoluteUnixPath.get(arguments);
                    builder.setWorkingDirectory(workdir);
                }
                case "ENTRYPOINT" -> builder.setEntrypoint(execForm(arguments));
                case "ARG" -> { } // defaults already collected
                case "RUN" -> {
                    if (arguments.startsWith("ls /deployments/lib/main/")) {
                        requireGuard(image, arguments);
                    } else {
                        skipped.add(instruction.keyword() + " " + arguments);
                    }
                }
                default -> skipped.add(instruction.keyword() + " " + arguments);
            }
        }
        builder.setLabels(labels).setExposedPorts(ports).setCreationTime(Instant.EPOCH);

        Files.createDirectories(outputDir());
        Path tar = outputDir().resolve(image + ".tar");
        String reference = "t2i/" + image + ":" + tag();
        Containerizer containerizer = Containerizer.to(TarImage.at(tar).named(ImageReference.parse(reference)))
                .setOfflineMode(!baseFromDockerfile())
                .setApplicationLayersCache(Manifests.deployRoot().resolve("target/jib-cache"))
                .setToolName("text-to-image deploy checks");
        JibContainer container = builder.containerize(containerizer);
        return new Built(tar, reference, container.getDigest().toString(), List.copyOf(skipped));
    }

    /**
     * The Dockerfiles' ONNX Runtime guard ({@code RUN ls /deployments/lib/main/<jar glob>}), evaluated on the packaged
     * application as `docker build` would: the CPU image refuses a generator packaged with -Pgpu.
     */
    private static void requireGuard(String image, String run) throws IOException {
        Path lib = Manifests.repositoryRoot().resolve(DockerfileTest.MODULE_OF_IMAGE.get(image)).resolve("target/quarkus-app/lib/main");
        if (!DockerBuildContextTest.guardPasses(image, lib)) {
            throw new IllegalStateException("Dockerfile." + image + ": RUN " + run + " fails on " + lib
                    + " (packaged for the other ONNX Runtime variant?)");
        }
    }

    /** Values of the ARG lines (all stages), for ${NAME} in later lines. */
    private static Map<String, String> buildArgs(List<Instruction> all) {
        Map<String, String> args = new LinkedHashMap<>();
        for (Instruction instruction : all) {
            if (instruction.keyword().equals("ARG") && instruction.arguments().contains("=")) {
                String[] pair = instruction.arguments().split("=", 2);
                args.put(pair[0].strip(), pair[1].strip());
            }
        }
        return args;
    }

    private static String substitute(String text, Map<String, String> args) {
        String result = text;
        for (var arg : args.entrySet()) {
            result = result.replace("${" + arg.getKey() + "}", arg.getValue()).replace("$" + arg.getKey(), arg.getValue());
        }
        return result;
    }

    @SuppressWarnings("unchecked")
    private static List<String> execForm(String arguments) throws IOException {
        return new ObjectMapper().readValue(arguments, List.class);
    }

    /**
     * One COPY line as one layer: a folder source ({@code x/}) copies its contents into the destination folder, a
     * glob ({@code x/*.jar}) each matching file. Files keep Jib's reproducible defaults: owned by root, 644/755,
     * a fixed time, like the Dockerfiles' "files stay owned by root" rule.
     */
    private static FileEntriesLayer copyLayer(String name, Path root, String arguments) throws IOException {
        String[] words = arguments.split("\\s+");
        if (words.length != 2 || words[0].startsWith("--")) {
            throw new IllegalArgumentException("unsupported COPY (one source, one destination, no flags): " + arguments);
        }
        String source = words[0];
        AbsoluteUnixPath destination = AbsoluteUnixPath.get(words[1]);
        FileEntriesLayer.Builder layer = FileEntriesLayer.builder().setName(name);
        if (source.endsWith("/")) {
            Path dir = root.resolve(source);
            try (Stream<Path> children = Files.list(dir)) {
                for (Path child : children.sorted().toList()) {
                    layer.addEntryRecursive(child, destination.resolve(child.getFileName().toString()));
                }
            }
        } else {
            Path dir = root.resolve(source).getParent();
            var matcher = FileSystems.getDefault().getPathMatcher("glob:" + Path.of(source).getFileName());
            try (Stream<Path> children = Files.list(dir)) {
                for (Path file : children.filter(f -> matcher.matches(f.getFileName())).sorted().toList()) {
                    layer.addEntry(file, destination.resolve(file.getFileName().toString()));
                }
            }
        }
        FileEntriesLayer built = layer.build();
        if (built.getEntries().isEmpty()) {
            throw new IllegalStateException("COPY " + arguments + " matches nothing: package the service first");
        }
        return built;
    }
}
