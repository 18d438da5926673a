package io.texttoimage.e2e.chaos;

import io.texttoimage.e2e.TestStacks;
import io.texttoimage.e2e.servers.PostgresCluster;
import io.texttoimage.e2e.servers.RabbitNode;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * {@code bin/chaos [--short] [--jobs N] [--seed S]}: starts the {@link ChaosStack}, runs the {@link Scenario} and
 * prints the checks and the summary (also to {@code e2e-tests/target/chaos/report.txt}). Exit 0 when every check
 * holds, 1 when one does not, 2 when the run could not be made.
 */
public final class ChaosMain {
    private ChaosMain() {
    }

    public static void main(String[] args) {
        Path repoRoot = Path.of(System.getProperty("t2i.repo-root", "..")).toAbsolutePath().normalize();
        System.exit(run(args, repoRoot, System.out));
    }

    /** The whole run; returns the exit status. Used by {@code ChaosE2eTest} too. */
    static int run(String[] args, Path repoRoot, PrintStream out) {
        boolean shortRun = false;
        Integer jobs = null;
        long seed = System.nanoTime();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--short" -> shortRun = true;
                case "--jobs" -> jobs = Integer.parseInt(args[++i]);
                case "--seed" -> seed = Long.parseLong(args[++i]);
                default -> {
                    out.println("usage: bin/chaos [--short] [--jobs N] [--seed S]");
                    return 2;
                }
            }
        }
        Scenario scenario = shortRun ? Scenario.shortRun(jobs == null ? 24 : jobs) : Scenario.full(jobs == null ? 110 : jobs);
        Optional<String> missing = whatIsMissing(repoRoot);
        if (missing.isPresent()) {
            out.println("chaos: cannot run: " + missing.get());
            return 2;
        }
        String runId = UUID.randomUUID().toString().replace("-", "").substring(0, 8);
        out.println("chaos: " + scenario.name() + " run " + runId + ", seed " + seed + ", " + scenario.jobs() + " jobs + 1 poison over "
                + scenario.loadDuration().toSeconds() + " s; faults: " + scenario.faults());
        Instant started = Instant.now();
        ChaosStack stack;
        try {
            stack = ChaosStack.start(repoRoot, runId, (int) seed, line -> out.println("chaos: " + line));
        } catch (Exception e) {
            out.println("chaos: could not start the stack: " + e);
            e.printStackTrace(out);
            return 2;
        }
        try (stack) {
            out.println("chaos: stack up in " + Duration.between(started, Instant.now()).toSeconds() + " s");
            ChaosRun run = new ChaosRun(stack, scenario, seed, line -> out.println("chaos: " + line));
            run.run();
            ChaosChecks checks = new ChaosChecks(run);
            checks.evaluate();
            String report = report(run, checks, seed, Duration.between(started, Instant.now()));
            out.print(report);
            write(repoRoot, report);
            return checks.allPassed() ? 0 : 1;
        } catch (Exception e) {
            out.println("chaos: the run broke off: " + e);
            e.printStackTrace(out);
            return 2;
        }
    }

    /** Empty when the suite can run here, else why not. */
    static Optional<String> whatIsMissing(Path repoRoot) {
        Optional<String> jar = TestStacks.missingJar(repoRoot);
        if (jar.isPresent()) {
            return jar;
        }
        if (!PostgresCluster.available()) {
            return Optional.of("PostgreSQL 15's initdb/pg_ctl (/usr/lib/postgresql/15/bin) are not installed");
        }
        if (!RabbitNode.available()) {
            return Optional.of("rabbitmq-server is not installed");
        }
        if (!"root".equals(System.getProperty("user.name"))) {
            return Optional.of("network namespaces need root (ip netns)");
        }
        return Optional.empty();
    }

    static String report(ChaosRun run, ChaosChecks checks, long seed, Duration took) {
        StringBuilder text = new StringBuilder();
        text.append("\n==== chaos ").append(run.scenario.name()).append(" run ").append(run.stack.runId).append(", seed ")
                .append(seed).append(", ").append(took.toSeconds()).append(" s, ").append(TestStacks.machine())
                .append(", load average ").append(TestStacks.loadAverage()).append(" ====\n");
        text.append("faults in this scenario: ");
        run.scenario.faults().forEach(f -> text.append("\n  - ").append(f.description));
        text.append("\n  - one poison job (generators exit whenever they take it)\n\nchecks:\n");
        for (ChaosChecks.Check check : checks.checks) {
            text.append(check.passed() ? "  PASS " : "  FAIL ").append(check.name());
            if (!check.evidence().isBlank()) {
                text.append(" — ").append(check.evidence());
            }
            text.append('\n');
        }
        text.append("\nsummary:\n| figure | value |\n| --- | --- |\n");
        for (Map.Entry<String, Object> figure : checks.figures.entrySet()) {
            text.append("| ").append(figure.getKey()).append(" | ").append(figure.getValue()).append(" |\n");
        }
        text.append("\nrecovery per fault (from the moment it was healed; the probe is a 4-step job submitted then):\n")
                .append("| fault | where / what it hit | held | probe accepted after | first job succeeded after | probe done after |\n")
                .append("| --- | --- | --- | --- | --- | --- |\n");
        for (String[] row : checks.recoveryRows()) {
            text.append("| ").append(String.join(" | ", row)).append(" |\n");
        }
        text.append("\nresult: ").append(checks.allPassed() ? "PASS" : "FAIL").append(" (")
                .append(checks.checks.stream().filter(ChaosChecks.Check::passed).count()).append(" of ")
                .append(checks.checks.size()).append(" checks hold); logs in ").append(run.stack.keptLogs())
                .append('\n');
        return text.toString();
    }

    private static void write(Path repoRoot, String report) throws IOException {
        Path dir = Files.createDirectories(repoRoot.resolve("e2e-tests/target/chaos"));
        Files.writeString(dir.resolve("report.txt"), report, StandardCharsets.UTF_8);
    }
}
