package io.texttoimage.e2e.fuzz;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;

/**
 * The short fuzz run of CI (issue 11 part 7): 2,000 generated requests (-Dt2i.fuzz.requests) against a real
 * gateway, storage adapter and tiny-model generator on PostgreSQL, RabbitMQ and S3; the seed is printed and
 * -Dt2i.fuzz.seed repeats a run. Passes when there is no 5xx, every error is problem+json with a detail, no owner
 * sees or changes another's job, the gateway stays ready and its RSS bounded (see docs/fuzzing.md; bin/fuzz is the
 * long run).
 */
class FuzzE2eTest {
    private static final Path REPO_ROOT = Path.of("..").toAbsolutePath().normalize();
    /**
     * CI fuzzes the same 2,000 requests every run, so a red run is the change's doing and repeats on a laptop;
     * bin/fuzz explores a new seed each time (and prints it).
     */
    static final long CI_SEED = 20261201L;
    private static FuzzStack stack;

    @BeforeAll
    static void startStack() throws Exception {
        Optional<String> missing = FuzzStack.missingJar(REPO_ROOT);
        assumeTrue(missing.isEmpty(), missing.orElse(""));
        stack = FuzzStack.start(REPO_ROOT, "fuzz-e2e", line -> System.out.println("[fuzz-e2e] " + line));
    }

    @AfterAll
    static void stopStack() {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void twoThousandGeneratedRequestsBreakNoCriterion() throws Exception {
        FuzzRun.Settings settings = FuzzRun.Settings.fromSystemProperties(2_000, OptionalLong.of(CI_SEED));
        FuzzRun.Result result = new FuzzRun(settings, stack.gateway.baseUri(), stack.gateway.managementUri(),
                stack.gateway.pid(), line -> System.out.println("[fuzz-e2e] " + line))
                .run(stack.adminKey(), FuzzStack.machine());
        System.out.println(result.text());
        Path report = Files.createDirectories(REPO_ROOT.resolve("e2e-tests/target/fuzz-e2e")).resolve("report.txt");
        Files.writeString(report, result.text());
        assertTrue(result.passed(), () -> "the fuzz run broke a criterion (" + String.join("; ",
                result.failedCriteria()) + "):\n" + result.text());
    }
}
