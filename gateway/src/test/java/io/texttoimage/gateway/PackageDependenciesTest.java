package io.texttoimage.gateway;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.spi.ToolProvider;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The gateway's packages import each other in one direction only. Dependencies are read twice, because each
 * source misses something: the class files (the JDK's jdeps) miss compile-time constants, which javac copies into
 * the user, and the sources miss types that are used but never named (a lambda's parameter, a chained call's
 * result). Together they see every use.
 */
class PackageDependenciesTest {
    private static final String ROOT = "io.texttoimage.gateway";
    private static final Path CLASSES = Path.of("target/classes");
    private static final Path SOURCES = Path.of("src/main/java");

    @Test
    void noPackageCycles() throws IOException {
        Map<String, Set<String>> graph = dependencies();
        List<String> cycle = findCycle(graph);
        assertTrue(cycle.isEmpty(), "package cycle " + String.join(" -> ", cycle) + " in " + describe(graph));
    }

    /** The job domain knows who calls ({@code auth.Caller}, which names no job type) and nothing else. */
    @Test
    void theJobDomainAndTheConfigurationDependOnNoOtherGatewayPackage() throws IOException {
        Map<String, Set<String>> graph = dependencies();
        assertEquals(Set.of(ROOT + ".auth"), graph.getOrDefault(ROOT + ".job", Set.of()), describe(graph));
        assertEquals(Set.of(), graph.getOrDefault(ROOT + ".config", Set.of()), describe(graph));
    }

    /** Package → the other gateway packages it uses, from both class files and sources. */
    static Map<String, Set<String>> dependencies() throws IOException {
        Map<String, Set<String>> graph = new TreeMap<>();
        classFileDependencies(graph);
        sourceDependencies(graph);
        assertTrue(graph.containsKey(ROOT + ".api") && graph.containsKey(ROOT + ".job"),
                "no gateway packages found: " + graph);
        return graph;
    }

    /** jdeps lines look like {@code    io.texttoimage.gateway.api   -> io.texttoimage.gateway.job   classes}. */
    private static void classFileDependencies(Map<String, Set<String>> graph) {
        ToolProvider jdeps = ToolProvider.findFirst("jdeps")
                .orElseThrow(() -> new AssertionError("no jdeps in this JDK"));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = jdeps.run(new PrintWriter(out), new PrintWriter(err), "-verbose:package",
                "-e", Pattern.quote(ROOT) + "\\..*", CLASSES.toString());
        assertEquals(0, exit, "jdeps failed: " + err);
        Pattern edge = Pattern.compile("^\\s*(" + Pattern.quote(ROOT) + "\\.\\S+)\\s+->\\s+(" + Pattern.quote(ROOT)
                + "\\.\\S+)\\s");
        out.toString().lines().map(edge::matcher).filter(Matcher::find)
                .forEach(m -> addEdge(graph, m.group(1), m.group(2)));
    }

    /** Every {@code io.texttoimage.gateway.<package>.<Type>} a source file names: imports and qualified names. */
    private static void sourceDependencies(Map<String, Set<String>> graph) throws IOException {
        Pattern packageLine = Pattern.compile("(?m)^package\\s+([\\w.]+);");
        Pattern reference = Pattern.compile(Pattern.quote(ROOT) + "((?:\\.[a-z]\\w*)+)\\.[A-Z]");
        try (Stream<Path> files = Files.walk(SOURCES)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                String text = Files.readString(file);
                Matcher own = packageLine.matcher(text);
                assertTrue(own.find(), "no package line in " + file);
                graph.computeIfAbsent(own.group(1), p -> new TreeSet<>()); // a package that uses no other one too
                Matcher used = reference.matcher(text);
                while (used.find()) {
                    addEdge(graph, own.group(1), ROOT + used.group(1));
                }
            }
        }
    }

    private static void addEdge(Map<String, Set<String>> graph, String from, String to) {
        graph.computeIfAbsent(from, p -> new TreeSet<>());
        if (!from.equals(to)) {
            graph.get(from).add(to);
        }
    }

    /** One cycle as a path that starts and ends at the same package, or empty. */
    static List<String> findCycle(Map<String, Set<String>> graph) {
        Set<String> done = new TreeSet<>();
        for (String start : graph.keySet()) {
            List<String> cycle = cycleFrom(start, graph, new ArrayList<>(), done);
            if (!cycle.isEmpty()) {
                return cycle;
            }
        }
        return List.of();
    }

    private static List<String> cycleFrom(String node, Map<String, Set<String>> graph, List<String> path,
                                          Set<String> done) {
        int seen = path.indexOf(node);
        if (seen >= 0) {
            List<String> cycle = new ArrayList<>(path.subList(seen, path.size()));
            cycle.add(node);
            return cycle;
        }
        if (done.contains(node)) {
            return List.of();
        }
        path.add(node);
        for (String next : graph.getOrDefault(node, Set.of())) {
            List<String> cycle = cycleFrom(next, graph, path, done);
            if (!cycle.isEmpty()) {
                return cycle;
            }
        }
        path.removeLast();
        done.add(node);
        return List.of();
    }

    private static String describe(Map<String, Set<String>> graph) {
        StringBuilder text = new StringBuilder("\n");
        graph.forEach((from, to) -> text.append(relative(from)).append(" -> ")
                .append(to.stream().map(PackageDependenciesTest::relative).toList()).append('\n'));
        return text.toString();
    }

    private static String relative(String packageName) {
        return packageName.substring(ROOT.length() + 1);
    }
}
