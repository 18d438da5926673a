package io.texttoimage.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The production overlay ships placeholders an operator must replace (hosts under example.com / example.internal,
 * all-zero image digests, 0.0.0.0/0 egress). docs/deployment.md lists them in one place, "What to set first", which
 * the README sends a new operator to before its `kubectl apply -k`: the list must name every placeholder that
 * renders, and nothing that does not.
 */
class PlaceholderTest {
    static final Pattern PLACEHOLDER = Pattern.compile(
            "[A-Za-z0-9.-]*example\\.(?:com|internal)|sha256:0{64}|0\\.0\\.0\\.0/0");
    static final String SECTION = "## What to set first";

    static Set<String> placeholders(String text) {
        Set<String> found = new TreeSet<>();
        Matcher m = PLACEHOLDER.matcher(text);
        while (m.find()) {
            found.add(m.group());
        }
        return found;
    }

    static String rendered(String overlay) {
        return Manifests.overlay(overlay).documents.stream().map(Object::toString).collect(Collectors.joining("\n"));
    }

    static String section(String markdown, String heading) {
        int start = markdown.indexOf("\n" + heading + "\n");
        assertTrue(start >= 0, "docs/deployment.md has no section '" + heading + "'");
        int end = markdown.indexOf("\n## ", start + heading.length() + 2);
        return markdown.substring(start, end < 0 ? markdown.length() : end);
    }

    @Test
    void theDeploymentDocListsEveryProductionPlaceholderInOnePlace() throws IOException {
        String doc = Files.readString(Manifests.repositoryRoot().resolve("docs/deployment.md"));
        Set<String> inManifests = placeholders(rendered("production"));
        assertTrue(inManifests.size() >= 5, "expected the registry, database, broker, ingress hosts, digests: " + inManifests);
        // the table's first column, not the prose around it
        String list = section(doc, SECTION).lines().filter(l -> l.startsWith("| `"))
                .map(l -> l.substring(0, l.indexOf(" |", 2))).collect(Collectors.joining("\n"));
        Set<String> listed = placeholders(list);
        // image references render as registry.example.com/...@sha256:0000: both parts must be listed
        assertEquals(inManifests, listed, SECTION + " in docs/deployment.md must list exactly what renders");
        assertTrue(doc.indexOf(SECTION) < doc.indexOf("kubectl apply -k deploy/k8s/overlays/production"),
                "the list comes before the first apply");
    }

    @Test
    void theReadmeSaysWhatToSetBeforeItsApplyCommand() throws IOException {
        String readme = Files.readString(Manifests.repositoryRoot().resolve("README.md"));
        int apply = readme.indexOf("kubectl apply -k deploy/k8s/overlays/production");
        assertTrue(apply > 0, "README has no production apply command");
        int link = readme.indexOf("docs/deployment.md#what-to-set-first");
        assertTrue(link > 0 && link < apply, "README must point at 'What to set first' before the apply command");
    }

    @Test
    void theLaptopOverlaysHaveNoPlaceholders() {
        for (String overlay : Manifests.overlays()) {
            if (!overlay.equals("production")) {
                assertEquals(Set.of(), placeholders(rendered(overlay)), overlay + " must apply as it is");
            }
        }
    }

    @Test
    void everyProductionFileWithAPlaceholderSaysWhereTheListIs() throws IOException {
        for (var file : List.of("kustomization.yaml", "external-egress.yaml")) {
            String text = Files.readString(Manifests.k8s().resolve("overlays/production").resolve(file));
            assertFalse(placeholders(text).isEmpty(), file);
            assertTrue(text.contains("docs/deployment.md"), "overlays/production/" + file + " should point at the list");
        }
    }
}
