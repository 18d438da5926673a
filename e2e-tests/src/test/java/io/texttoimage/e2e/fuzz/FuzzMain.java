package io.texttoimage.e2e.fuzz;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * bin/fuzz: the long fuzz run (default 10,000 requests) against a stack it starts itself. Exit 0 only when every
 * criterion held, 1 when one did not, 2 when the run could not be made (a jar is missing, the stack did not start).
 * <pre>bin/fuzz [--requests N] [--seed S] [--concurrency C] [--max-shown M] [--hold-seconds H]</pre>
 * The report goes to stdout and to e2e-tests/target/fuzz/report.txt.
 */
public final class FuzzMain {
    private FuzzMain() {
    }

    public static void main(String[] args) throws Exception {
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--requests" -> System.setProperty("t2i.fuzz.requests", args[i + 1]);
                case "--seed" -> System.setProperty("t2i.fuzz.seed", args[i + 1]);
                case "--concurrency" -> System.setProperty("t2i.fuzz.concurrency", args[i + 1]);
                case "--max-shown" -> System.setProperty("t2i.fuzz.max-shown", args[i + 1]);
                case "--hold-seconds" -> System.setProperty("t2i.fuzz.hold-seconds", args[i + 1]);
                default -> usage("unknown option " + args[i]);
            }
        }
        if (args.length % 2 != 0) {
            usage("every option takes a value");
        }
        Path root = Path.of(System.getProperty("t2i.repo-root", ".")).toAbsolutePath().normalize();
        FuzzRun.Settings settings = FuzzRun.Settings.fromSystemProperties(10_000, OptionalLong.empty());
        FuzzStack.missingJar(root).ifPresent(message -> {
            System.err.println("fuzz: " + message);
            System.exit(2);
        });
        String machine = FuzzStack.machine();
        System.out.println("fuzz: machine " + machine);
        FuzzStack stack;
        try {
            stack = FuzzStack.start(root, "fuzz", line -> System.out.println("[stack] " + line));
        } catch (Exception e) {
            System.err.println("fuzz: the stack did not start: " + e);
            e.printStackTrace();
            System.exit(2);
            return;
        }
        AtomicBoolean stopped = new AtomicBoolean();
        Runnable stop = () -> {
            if (stopped.compareAndSet(false, true)) {
                stack.close();
            }
        };
        Runtime.getRuntime().addShutdownHook(new Thread(stop, "fuzz-stop"));
        int exit;
        try {
            FuzzRun.Result result = new FuzzRun(settings, stack.gateway.baseUri(), stack.gateway.managementUri(),
                    stack.gateway.pid(), System.out::println).run(stack.adminKey(), machine);
            System.out.println();
            System.out.print(result.text());
            Path report = Files.createDirectories(root.resolve("e2e-tests/target/fuzz")).resolve("report.txt");
            Files.writeString(report, result.text());
            System.out.println("fuzz: report written to " + root.relativize(report) + "; gateway log: "
                    + root.relativize(stack.gateway.logFile().toAbsolutePath()));
            exit = result.passed() ? 0 : 1;
            hold(stack);
        } catch (Exception e) {
            System.err.println("fuzz: the run failed: " + e);
            e.printStackTrace();
            exit = 2;
        } finally {
            stop.run();
        }
        System.exit(exit);
    }

    /** --hold-seconds: keeps the stack up after the run, to replay a violation's curl line against it. */
    private static void hold(FuzzStack stack) throws InterruptedException {
        int seconds = Integer.getInteger("t2i.fuzz.hold-seconds", 0);
        if (seconds > 0) {
            System.out.println("fuzz: holding the stack for " + seconds + " s: gateway " + stack.gateway.baseUri()
                    + ", management " + stack.gateway.managementUri());
            Thread.sleep(seconds * 1000L);
        }
    }

    private static void usage(String problem) {
        System.err.println("fuzz: " + problem + "\nusage: bin/fuzz [--requests N] [--seed S] [--concurrency C]"
                + " [--max-shown M] [--hold-seconds H]");
        System.exit(2);
    }
}
