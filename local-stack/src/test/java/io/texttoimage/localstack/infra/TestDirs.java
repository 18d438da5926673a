package io.texttoimage.localstack.infra;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

/**
 * Test data folders under target/, not JUnit's @TempDir: the embedded PostgreSQL runs as 'nobody' when the tests
 * run as root, and 'nobody' cannot enter the 0700 folders that @TempDir creates.
 */
final class TestDirs {
    private TestDirs() {
    }

    static Path fresh(String name) throws IOException {
        return Files.createDirectories(Path.of("target", "test-data", name + "-" + UUID.randomUUID()).toAbsolutePath());
    }
}
