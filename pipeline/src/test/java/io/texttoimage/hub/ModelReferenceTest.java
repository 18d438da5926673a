package io.texttoimage.hub;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelReferenceTest {

    @Test
    void anExistingFolderIsALocalModel() {
        assertEquals(FakeHub.TINY_MODEL, ModelReference.localFolder(FakeHub.TINY_MODEL.toString()));
        assertNull(ModelReference.localFolder("test-org/tiny-sd-onnx"), "no such folder here: a repo id");
        assertNull(ModelReference.localFolder("nul\0byte"), "not even a path");
    }

    @Test
    void repoIdsLikeOrgSlashNameAreAccepted() throws HubException {
        assertEquals(new ModelReference("onnx-community/stable-diffusion-v1-5-ONNX", "main"),
                ModelReference.parse("onnx-community/stable-diffusion-v1-5-ONNX", null));
        assertEquals("v1.0", ModelReference.parse("org/name", " v1.0 ").revision());
        assertEquals("main", ModelReference.parse("org/name", " ").revision());
    }

    @Test
    void badIdsAreRejected() {
        for (String bad : List.of("no-slash", "a/b/c", "org/na me", "org--x/name", "../../no/such")) {
            HubException error = assertThrows(HubException.class, () -> ModelReference.parse(bad, null), bad);
            assertEquals(HubException.Reason.INVALID_REFERENCE, error.reason());
            assertTrue(error.getMessage().contains("'" + bad + "'"), error.getMessage());
        }
    }

    @Test
    void onlyAFullCommitHashPinsTheContents() throws HubException {
        assertTrue(ModelReference.parse("org/name", FakeHub.COMMIT).pinsACommit());
        assertFalse(ModelReference.parse("org/name", "main").pinsACommit());
        assertFalse(ModelReference.parse("org/name", FakeHub.COMMIT.substring(0, 12)).pinsACommit());
        assertFalse(ModelReference.isCommitHash(null));
    }
}
