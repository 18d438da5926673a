package io.texttoimage.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the CPU generator image's entrypoint (src/main/docker/generator-entrypoint.sh) with this build's JVM on a small
 * stand-in application laid out like a Quarkus fast-jar: without T2I_JVM_AOT_CACHE_DIR it is plain {@code java -jar};
 * with it, a first start records a JVM AOT cache and a stop signal still lets it be stored, the next start uses it,
 * another build of the application records its own, and an unusable folder only means no cache.
 */
class GeneratorEntrypointScriptTest {
    static final Path SCRIPT = Manifests.repositoryRoot().resolve("src/main/docker/generator-entrypoint.sh");
    private static final String JAVA_HOME = System.getProperty("java.home");

    @TempDir
    Path temp;
    Path app;
    Path caches;

    @BeforeEach
    void packageTheStandIn() throws IOException {
        app = temp.resolve("deployments");
        caches = temp.resolve("graph-cache/jvm");
        buildApp("first build");
    }

    /** quarkus-run.jar whose main prints the JVM's AOT options and the build's text; with "wait", waits for a signal. */
    private void buildApp(String build) throws IOException {
        Path sources = Files.createDirectories(temp.resolve("src"));
        Path classes = Files.createDirectories(temp.resolve("classes"));
        Files.writeString(sources.resolve("Main.java"), """
                public class Main {
                    public static void main(String[] args) throws Exception {
                        for (String option : java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()) {
                            if (option.startsWith("-XX:AOT")) System.out.println("option " + option);
                        }
                        System.out.println("build %s");
                        System.out.flush();
                        if (System.getenv("STAND_IN_WAITS") != null) Thread.sleep(60_000);
                    }
                }
                """.formatted(build));
        assertEquals(0, ToolProvider.getSystemJavaCompiler().run(null, null, null, "-d", classes.toString(),
                sources.resolve("Main.java").toString()));
        Files.createDirectories(app.resolve("quarkus"));
        Files.createDirectories(app.resolve("lib/main"));
        Files.writeString(app.resolve("quarkus/quarkus-application.dat"), build);
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, "Main");
        try (OutputStream file = Files.newOutputStream(app.resolve("quarkus-run.jar"));
             JarOutputStream jar = new JarOutputStream(file, manifest)) {
            jar.putNextEntry(new JarEntry("Main.class"));
            jar.write(Files.readAllBytes(classes.resolve("Main.class")));
            jar.closeEntry();
        }
    }

    private record Run(int exit, String output) {
    }

    private Process start(Map<String, String> environment) throws IOException {
        ProcessBuilder builder = new ProcessBuilder("sh", SCRIPT.toString()).redirectErrorStream(true);
        builder.environment().put("JAVA_HOME", JAVA_HOME);
        builder.environment().put("T2I_APP_DIR", app.toString());
        builder.environment().remove("JAVA_TOOL_OPTIONS");
        builder.environment().putAll(environment);
        return builder.start();
    }

    private Run run(Map<String, String> environment) throws Exception {
        Process process = start(environment);
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(120, TimeUnit.SECONDS), "the script ends");
        return new Run(process.exitValue(), output);
    }

    private Map<String, String> withCache() {
        return Map.of("T2I_JVM_AOT_CACHE_DIR", caches.toString());
    }

    private List<Path> files(Path folder) throws IOException {
        if (!Files.isDirectory(folder)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(folder)) {
            return files.sorted().toList();
        }
    }

    @Test
    void withoutTheVariableItIsPlainJavaJar() throws Exception {
        Run plain = run(Map.of());
        assertEquals(0, plain.exit(), plain.output());
        assertTrue(plain.output().contains("build first build"), plain.output());
        assertFalse(plain.output().contains("option -XX:AOT"), "no AOT option: " + plain.output());
        assertFalse(Files.exists(caches));
    }

    @Test
    void aFirstStartRecordsTheCacheTheNextUsesItAndAnotherBuildRecordsItsOwn() throws Exception {
        Run first = run(withCache());
        assertEquals(0, first.exit(), first.output());
        assertTrue(first.output().contains("option -XX:AOTCacheOutput="), first.output());
        List<Path> stored = files(caches);
        assertEquals(1, stored.size(), "one cache, no partial or configuration file left: " + stored);
        assertTrue(stored.getFirst().getFileName().toString().matches("generator-[0-9a-f]{16}\\.aot"), stored.toString());
        assertTrue(Files.size(stored.getFirst()) > 0);

        Run second = run(withCache());
        assertEquals(0, second.exit(), second.output());
        assertTrue(second.output().contains("option -XX:AOTCache=" + stored.getFirst()), second.output());
        assertFalse(second.output().contains("AOTCacheOutput"), "nothing recorded again: " + second.output());

        buildApp("second build");
        Run rebuilt = run(withCache());
        assertTrue(rebuilt.output().contains("build second build"), rebuilt.output());
        assertTrue(rebuilt.output().contains("option -XX:AOTCacheOutput="), "a new build records its own: " + rebuilt.output());
        List<Path> both = files(caches);
        assertEquals(2, both.size(), both.toString());
        assertNotEquals(both.get(0).getFileName(), both.get(1).getFileName());
    }

    @Test
    void aStopSignalReachesTheJvmAndTheRecordedCacheIsStillStored() throws Exception {
        Process process = start(Map.of("T2I_JVM_AOT_CACHE_DIR", caches.toString(), "STAND_IN_WAITS", "yes"));
        StringBuilder output = new StringBuilder();
        var reader = process.inputReader(StandardCharsets.UTF_8);
        for (String line; (line = reader.readLine()) != null && !line.startsWith("build "); ) {
            output.append(line).append('\n');
        }
        // SIGTERM to the script, as the kubelet sends to PID 1 (Process.destroy would also close the output pipe,
        // which a container runtime keeps open).
        process.toHandle().destroy();
        for (String line; (line = reader.readLine()) != null; ) {
            output.append(line).append('\n');
        }
        assertTrue(process.waitFor(120, TimeUnit.SECONDS), "the script ends once the JVM does: " + output);
        assertEquals(143, process.exitValue(), "the JVM's own status (SIGTERM) is the container's");
        List<Path> stored = files(caches);
        assertEquals(1, stored.size(), stored + "\n" + output);
        assertTrue(stored.getFirst().getFileName().toString().endsWith(".aot"), stored.toString());
        assertTrue(output.toString().contains("stored the JVM AOT cache"), output.toString());
    }

    @Test
    void anUnwritableCacheFolderStartsWithoutACache() throws Exception {
        Files.createDirectories(caches.getParent());
        Files.writeString(caches, "a file where the folder should be");
        Run run = run(withCache());
        assertEquals(0, run.exit(), run.output());
        assertTrue(run.output().contains("build first build"), run.output());
        assertTrue(run.output().contains("is not writable; starting without a JVM AOT cache"), run.output());
        assertFalse(run.output().contains("option -XX:AOT"), run.output());
    }
}
