package io.texttoimage.localstack.service;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

import org.junit.jupiter.api.Test;

class DataDirLockTest {

    @Test
    void oneStackPerDataFolder() throws Exception {
        Path dir = Files.createDirectories(Path.of("target/test-data/lock-" + UUID.randomUUID()));
        try (DataDirLock first = DataDirLock.acquire(dir)) {
            IllegalStateException second = assertThrows(IllegalStateException.class, () -> DataDirLock.acquire(dir));
            assertTrue(second.getMessage().contains("Another text-to-image local stack"), second.getMessage());
        }
        DataDirLock.acquire(dir).close(); // free again once released
    }

    @Test
    void stopsALeftoverServiceButNotAnUnrelatedProcessWithAReusedPid() throws Exception {
        Path run = Files.createDirectories(Path.of("target/test-data/run-" + UUID.randomUUID()));
        Path fakeJar = run.resolve("quarkus-run.jar"); // only its name matters: it is how leftovers are recognised
        Process leftover = new ProcessBuilder("sleep", "300", fakeJar.toString()).start();
        Process unrelated = new ProcessBuilder("sleep", "300").start();
        try {
            Files.writeString(run.resolve("gateway.pid"), Long.toString(leftover.pid()));
            Files.writeString(run.resolve("generator.pid"), Long.toString(unrelated.pid()));
            DataDirLock.stopLeftovers(run, line -> { });
            assertTrue(leftover.waitFor(10, java.util.concurrent.TimeUnit.SECONDS), "leftover still running");
            assertTrue(unrelated.isAlive(), "a process that is not a service was stopped");
            assertTrue(Files.notExists(run.resolve("gateway.pid")) && Files.notExists(run.resolve("generator.pid")));
        } finally {
            leftover.destroyForcibly();
            unrelated.destroyForcibly();
        }
    }
}
