package io.texttoimage.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.List;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What `docker build` would find in its context: every COPY source of a Dockerfile matches the packaged Quarkus
 * application, and the ONNX Runtime guard of exactly one generator variant passes. Runs after the services were
 * packaged (the reactor builds this module last); skipped, with the reason, when they were not.
 */
class DockerBuildContextTest {

    static Path packagedApp(String image) {
        Path app = Manifests.repositoryRoot().resolve(DockerfileTest.MODULE_OF_IMAGE.get(image)).resolve("target/quarkus-app");
        assumeTrue(Files.isRegularFile(app.resolve("quarkus-run.jar")),
                app + " is not packaged: run ./mvnw package (or verify) from the root to check the Docker build context");
        return app;
    }

    @ParameterizedTest
    @ValueSource(strings = {"gateway", "storage-adapter", "generator-cpu", "generator-gpu"})
    void everyCopySourceExistsInThePackagedApplication(String image) throws IOException {
        packagedApp(image);
        List<DockerfileTest.Instruction> stage = DockerfileTest.finalStage(
                DockerfileTest.parse(DockerfileTest.DOCKER.resolve("Dockerfile." + image)));
        for (String copy : DockerfileTest.arguments(stage, "COPY")) {
            if (copy.startsWith("--from")) {
                continue;
            }
            String source = copy.split("\\s+")[0];
            assertFalse(matches(source).isEmpty(), "Dockerfile." + image + ": COPY " + source + " matches nothing");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gateway", "storage-adapter", "generator-cpu"})
    void theLauncherIsAQuarkusFastJar(String image) throws IOException {
        Path app = packagedApp(image);
        try (JarFile jar = new JarFile(app.resolve("quarkus-run.jar").toFile())) {
            assertEquals("io.quarkus.bootstrap.runner.QuarkusEntryPoint", jar.getManifest().getMainAttributes().getValue("Main-Class"));
        }
        assertTrue(Files.isDirectory(app.resolve("lib/main")) && Files.isDirectory(app.resolve("quarkus")), app.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"generator-cpu"})
    void exactlyOneGeneratorVariantAcceptsTheOnnxRuntimeThatWasPackaged(String image) throws IOException {
        Path lib = packagedApp(image).resolve("lib/main");
        boolean cpu = guardPasses("generator-cpu", lib);
        boolean gpu = guardPasses("generator-gpu", lib);
        assertTrue(cpu ^ gpu, "cpu guard " + cpu + ", gpu guard " + gpu + ": the build holds both runtimes or neither");
    }

    /** The worker runs the pipeline library from lib/main; the command lines (pipeline-tools) stay out of the image. */
    @ParameterizedTest
    @ValueSource(strings = {"generator-cpu"})
    void theGeneratorCarriesThePipelineLibraryButNotItsTools(String image) throws IOException {
        Path lib = packagedApp(image).resolve("lib/main");
        try (Stream<Path> jars = Files.list(lib)) {
            List<String> names = jars.map(jar -> jar.getFileName().toString()).toList();
            assertTrue(names.stream().anyMatch(name -> name.startsWith("io.texttoimage.pipeline-")), names.toString());
            assertFalse(names.stream().anyMatch(name -> name.startsWith("io.texttoimage.pipeline-tools-")), names.toString());
        }
    }

    /** Evaluates a Dockerfile's `RUN ls /deployments/lib/main/<glob>` guard against the packaged lib/main. */
    static boolean guardPasses(String image, Path lib) throws IOException {
        List<DockerfileTest.Instruction> stage = DockerfileTest.finalStage(
                DockerfileTest.parse(DockerfileTest.DOCKER.resolve("Dockerfile." + image)));
        String guard = DockerfileTest.arguments(stage, "RUN").stream().filter(r -> r.startsWith("ls /deployments/lib/main/"))
                .findFirst().orElseThrow(() -> new AssertionError(image + " has no ONNX Runtime guard"));
        String glob = guard.split("\\s+")[1].substring("/deployments/lib/main/".length());
        PathMatcher matcher = FileSystems.getDefault().getPathMatcher("glob:" + glob);
        try (Stream<Path> jars = Files.list(lib)) {
            return jars.anyMatch(jar -> matcher.matches(jar.getFileName()));
        }
    }

    /** Files or folders of the repository matched by a COPY source (a trailing slash names a folder). */
    static List<Path> matches(String source) throws IOException {
        Path root = Manifests.repositoryRoot();
        String pattern = source.endsWith("/") ? source.substring(0, source.length() - 1) : source;
        Path parent = root.resolve(pattern).getParent();
        PathMatcher matcher = FileSystems.getDefault().getPathMatcher("glob:" + root.resolve(pattern));
        try (Stream<Path> children = Files.list(parent)) {
            return children.filter(matcher::matches)
                    .filter(p -> !source.endsWith("/") || Files.isDirectory(p)).toList();
        }
    }
}
