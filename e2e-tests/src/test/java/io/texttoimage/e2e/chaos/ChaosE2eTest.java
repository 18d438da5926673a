package io.texttoimage.e2e.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The short chaos run of CI (issue 10 part 9; {@code bin/chaos} is the full one): 24 jobs and a poison job on the
 * suite's own servers and namespaced hosts while a generator, a gateway (in a burst) and the storage adapter are
 * SIGKILLed and a generator is cut off for 20 s. Passes when {@code bin/chaos --short} would exit 0: nothing lost,
 * duplicated or stuck, and every other check of docs/chaos.md. Skipped, saying why, where the suite cannot run (not
 * root, no PostgreSQL 15 or RabbitMQ binaries, no packaged services).
 */
class ChaosE2eTest {
    private static final Path REPO_ROOT = Path.of("..").toAbsolutePath().normalize();
    /** The same run every time, so that a red CI run repeats on a laptop; bin/chaos draws a new seed (and prints it). */
    static final long CI_SEED = 20261201L;

    @Test
    @Timeout(value = 8, unit = TimeUnit.MINUTES)
    void theShortScenarioLosesDuplicatesAndStrandsNothing() {
        Optional<String> missing = ChaosMain.whatIsMissing(REPO_ROOT);
        assumeTrue(missing.isEmpty(), () -> "the chaos suite cannot run here: " + missing.orElse(""));
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream both = new PrintStream(new TeeStream(System.out, captured), true, StandardCharsets.UTF_8);
        int status = ChaosMain.run(new String[]{"--short", "--seed", Long.toString(CI_SEED)}, REPO_ROOT, both);
        assertEquals(0, status, () -> "bin/chaos --short failed:\n" + captured.toString(StandardCharsets.UTF_8));
    }

    /** Prints as it goes (a long test shows progress) and keeps a copy for the failure message. */
    private static final class TeeStream extends java.io.OutputStream {
        private final java.io.OutputStream first;
        private final java.io.OutputStream second;

        TeeStream(java.io.OutputStream first, java.io.OutputStream second) {
            this.first = first;
            this.second = second;
        }

        @Override
        public void write(int b) throws java.io.IOException {
            first.write(b);
            second.write(b);
        }

        @Override
        public void write(byte[] bytes, int offset, int length) throws java.io.IOException {
            first.write(bytes, offset, length);
            second.write(bytes, offset, length);
        }
    }
}
