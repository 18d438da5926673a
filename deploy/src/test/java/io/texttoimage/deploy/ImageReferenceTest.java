package io.texttoimage.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.fabric8.kubernetes.api.model.Container;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every node must run the same bits for the same reference. A tag such as 0.1.0 can be pushed again, and with
 * imagePullPolicy IfNotPresent a node that already has it keeps the old image, so this project's images are
 * referenced by digest (production), or are images loaded into the nodes by hand that are never pulled (local).
 */
class ImageReferenceTest {
    static final Pattern DIGEST = Pattern.compile(".+@sha256:[0-9a-f]{64}");

    static List<String> overlays() {
        return Manifests.overlays();
    }

    /** Images built from src/main/docker, whatever registry the overlay puts them in. */
    static boolean ours(String image) {
        return image.startsWith("t2i/") || image.contains("/text-to-image/");
    }

    @ParameterizedTest
    @MethodSource("overlays")
    void ourImagesAreDigestsOrNeverPulledAndThePullPolicyMatches(String overlay) {
        Manifests manifests = Manifests.overlay(overlay);
        int checked = 0;
        for (var workload : manifests.podTemplates().entrySet()) {
            for (Container container : ManifestRenderingTest.containers(workload.getValue().getSpec())) {
                String image = container.getImage();
                String where = overlay + ": " + workload.getKey() + "/" + container.getName() + " (" + image + ", "
                        + container.getImagePullPolicy() + ")";
                if (!ours(image)) {
                    // Third-party images keep a pinned version tag (no digest can be resolved here, offline).
                    WorkloadPolicyTest.assertPinned(where, image);
                    assertEquals("IfNotPresent", container.getImagePullPolicy(), where);
                    continue;
                }
                checked++;
                if (DIGEST.matcher(image).matches()) {
                    assertEquals("IfNotPresent", container.getImagePullPolicy(),
                            where + ": a digest cannot change, so pull it once per node");
                } else if ("Never".equals(container.getImagePullPolicy())) {
                    assertFalse(overlay.equals("production"), where + ": production nodes pull from a registry");
                    assertFalse(image.contains("/text-to-image/"), where + ": a registry image must be pulled");
                } else {
                    fail(where + ": a tag can be pushed again and IfNotPresent/Always then runs different images on "
                            + "different nodes; reference it by digest (image@sha256:...), or load it into the nodes "
                            + "and set imagePullPolicy Never");
                }
            }
        }
        assertTrue(checked >= 4, overlay + ": expected the gateway, storage adapter, generator and its init container");
    }

    @ParameterizedTest
    @MethodSource("overlays")
    void theGeneratorsInitContainerRunsTheGeneratorsImage(String overlay) {
        var generator = Manifests.overlay(overlay).podTemplate("generator").getSpec();
        // One image per worker pod: a node pulls (or needs loaded) only one.
        assertEquals(generator.getContainers().get(0).getImage(), generator.getInitContainers().get(0).getImage(), overlay);
        assertEquals(generator.getContainers().get(0).getImagePullPolicy(),
                generator.getInitContainers().get(0).getImagePullPolicy(), overlay);
    }
}
