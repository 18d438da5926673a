package io.texttoimage.localstack.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;

class StackNamesTest {

    @Test
    void eachDataFolderHasItsOwnDatabaseAndPrefixAndKeepsThem() {
        StackNames first = StackNames.of(Path.of("/home/ana/text-to-image/.data"));
        StackNames second = StackNames.of(Path.of("/home/ana/second-checkout/.data"));
        assertNotEquals(first.database(), second.database());
        assertNotEquals(first.messagingPrefix(), second.messagingPrefix());
        assertEquals(first, StackNames.of(Path.of("/home/ana/text-to-image/sub/../.data")), "the same folder, spelled differently");
        assertTrue(first.database().matches("texttoimage_[0-9a-f]{8}"), first.database());
        assertTrue(first.messagingPrefix().matches("t2i-[0-9a-f]{8}"), first.messagingPrefix());
    }
}
