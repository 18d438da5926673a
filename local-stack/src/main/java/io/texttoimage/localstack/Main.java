package io.texttoimage.localstack;

import io.texttoimage.cli.Api;
import io.texttoimage.cli.CliException;
import io.texttoimage.cli.ExitCodes;
import io.texttoimage.cli.GenerateCommand;
import io.texttoimage.cli.Images;
import io.texttoimage.cli.JobProgressListener;
import io.texttoimage.cli.ProgressBar;
import io.texttoimage.localstack.infra.Infrastructure;
import io.texttoimage.localstack.infra.TestInfrastructure;
import io.texttoimage.localstack.service.DataDirLock;
import io.texttoimage.localstack.service.LocalStack;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** README command 1: {@code bin/text-to-image "a prompt"} — start everything, generate, save, stop. */
@Command(name = "text-to-image", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Starts the whole text-to-image system on this machine (PostgreSQL, an AMQP broker and S3 are"
                + " embedded unless configured or already running), generates images for PROMPT with a live progress bar,"
                + " saves them under --out, prints their signed URLs, and stops everything again (or keeps it running"
                + " with --keep-running). Environment: see docs/local-stack.md.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:images saved (or stack stopped cleanly)", "1:the job failed or was cancelled",
                "2:invalid arguments or rejected request", "3:the stack could not start (or the build failed)", "130:stopped with Ctrl-C"})
public final class Main implements Callable<Integer> {
    public static final String DEFAULT_MODEL = "onnx-community/stable-diffusion-v1-5-ONNX";
    /** The line bin/test waits for (--infra-only) before it runs Maven. */
    public static final String INFRA_READY = "test infrastructure ready";

    @Parameters(index = "0", arity = "0..1", paramLabel = "PROMPT", description = "What to draw.")
    String prompt;

    @Option(names = "--model", paramLabel = "DIR|REPO", description = "Model folder or Hugging Face repo id (default: ${DEFAULT-VALUE}).")
    String model = DEFAULT_MODEL;

    @Option(names = "--model-revision", paramLabel = "REV", description = "Hub revision (default: ${DEFAULT-VALUE}).")
    String modelRevision = "main";

    @Option(names = "--negative-prompt", paramLabel = "TEXT", description = "What to avoid.") String negativePrompt;
    @Option(names = "--steps", paramLabel = "N", description = "Denoising steps, 1..150 (server default 50).") Integer steps;
    @Option(names = "--guidance", paramLabel = "X", description = "Guidance scale, 0..30 (server default 7.5).") Double guidance;
    @Option(names = "--width", paramLabel = "N", description = "Multiple of 64 (default: the model's).") Integer width;
    @Option(names = "--height", paramLabel = "N", description = "Multiple of 64 (default: the model's).") Integer height;
    @Option(names = "--scheduler", paramLabel = "NAME", description = "pndm, ddim, euler, euler-a, lms, dpmpp-2m, dpmpp-2m-karras, unipc.") String scheduler;
    @Option(names = "--seed", paramLabel = "N", description = "Chosen by the server when absent.") Long seed;
    @Option(names = "--num-images", paramLabel = "N", description = "1..4 (default 1).") Integer numImages;

    @Option(names = "--out", paramLabel = "DIR", description = "Where PNGs are saved (default: ${DEFAULT-VALUE}).")
    Path out = Path.of("out");

    @Option(names = "--keep-running", description = "Leave the stack running after the job (Ctrl-C stops it).")
    boolean keepRunning;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "Data folder (default: T2I_DATA_DIR or <repo>/.data;"
            + " with --infra-only: <repo>/.data/test-infra).")
    Path dataDir;

    @Option(names = "--infra-only", description = "Only the servers the module tests expect (what bin/test uses on a machine"
            + " without them): an embedded PostgreSQL on 127.0.0.1:5432 (superuser postgres, trust authentication) and an"
            + " embedded AMQP broker on 127.0.0.1:5672 (guest/guest), each only if that port is not open yet; prints"
            + " '" + INFRA_READY + "' and runs until SIGTERM/Ctrl-C, then stops what it started.")
    boolean infraOnly;

    private final PrintStream console = System.out;

    public static void main(String[] args) {
        System.exit(new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (infraOnly) {
            if (prompt != null || keepRunning) {
                throw new CommandLine.ParameterException(new CommandLine(this), "--infra-only takes no PROMPT and no --keep-running.");
            }
            return infraOnly();
        }
        if (prompt == null && !keepRunning) {
            throw new CommandLine.ParameterException(new CommandLine(this), "Give a PROMPT, or --keep-running to just start the stack.");
        }
        Path repoRoot = Path.of(System.getProperty("t2i.repo.root", ".")).toAbsolutePath().normalize();
        Path data = Optional.ofNullable(dataDir)
                .or(() -> Optional.ofNullable(System.getenv("T2I_DATA_DIR")).filter(s -> !s.isBlank()).map(Path::of))
                .orElse(repoRoot.resolve(".data")).toAbsolutePath().normalize();
        Files.createDirectories(data.resolve("logs"));
        // Before any library logs: they go to this file, the terminal is for the progress bar.
        System.setProperty("t2i.local-stack.log", data.resolve("logs/local-stack.log").toString());

        LocalStack.Options options = new LocalStack.Options(repoRoot, data,
                Infrastructure.Options.fromEnvironment(data, env("T2I_DATABASE", "texttoimage"), 9000),
                env("T2I_MESSAGING_PREFIX", "t2i"), resolveModel(model), modelRevision, true, Map.of(),
                Duration.ofMinutes(5), Duration.ofMinutes(Long.parseLong(env("T2I_GENERATOR_READY_MINUTES", "60"))),
                splitOptions(env("T2I_SERVICE_JAVA_OPTS", "")));

        say("starting the local stack (data in " + data + ")");
        LocalStack stack;
        try {
            stack = LocalStack.startInfrastructure(options, this::say);
        } catch (Exception e) {
            System.err.println("text-to-image: the stack could not start: " + e.getMessage());
            return 3;
        }
        // From here on, Ctrl-C / SIGTERM / any exit stops whatever has been started so far.
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            say("stopping the local stack");
            stack.close();
            say("stopped");
            stopped.countDown();
        }, "local-stack-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            stack.startOneOfEachService();
        } catch (Exception e) {
            System.err.println("text-to-image: the stack could not start: " + e.getMessage());
            return 3;
        }

        int exitCode = 0;
        if (prompt != null) {
            exitCode = generate(stack.gatewayUri());
        }
        if (keepRunning) {
            say("gateway:    " + stack.gatewayUri());
            say("Swagger UI: " + stack.gatewayUri().resolve("/q/swagger-ui"));
            say("the stack keeps running; press Ctrl-C to stop it");
            stopped.await();
            return exitCode;
        }
        Runtime.getRuntime().removeShutdownHook(hook);
        say("stopping the local stack");
        stack.close();
        say("stopped");
        return exitCode;
    }

    /**
     * {@code --infra-only}: PostgreSQL on 5432 and an AMQP broker on 5672 where those ports are closed, until
     * SIGTERM/Ctrl-C. The data folder is locked meanwhile, so two of these never share one cluster.
     */
    private int infraOnly() throws Exception {
        Path repoRoot = Path.of(System.getProperty("t2i.repo.root", ".")).toAbsolutePath().normalize();
        Path data = Optional.ofNullable(dataDir).orElse(repoRoot.resolve(".data/test-infra")).toAbsolutePath().normalize();
        Files.createDirectories(data.resolve("logs"));
        System.setProperty("t2i.local-stack.log", data.resolve("logs/local-stack.log").toString());

        DataDirLock lock;
        try {
            lock = DataDirLock.acquire(data);
        } catch (Exception e) {
            System.err.println("text-to-image: the test infrastructure could not start: " + e.getMessage());
            return 3;
        }
        // Registered before anything starts: a SIGTERM while PostgreSQL is still starting must stop it too.
        TestInfrastructure infrastructure = TestInfrastructure.create();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (infrastructure.startedAny()) {
                say("stopping the test infrastructure");
            }
            infrastructure.close();
            stopChildProcesses();
            try {
                lock.close();
            } catch (java.io.IOException ignored) {
                // the lock goes with the process anyway
            }
            say("stopped");
            stopped.countDown();
        }, "test-infrastructure-shutdown"));
        try {
            infrastructure.start(data, this::say);
        } catch (Exception e) {
            System.err.println("text-to-image: the test infrastructure could not start: " + e.getMessage());
            return 3;
        }
        say(INFRA_READY + " (data in " + data + "); SIGTERM or Ctrl-C stops it");
        stopped.await();
        return 0;
    }

    /**
     * A PostgreSQL still starting when SIGTERM came is a child process that no server object holds yet: fast
     * shutdown (SIGINT) for every child left, then SIGKILL after 30 s. In --infra-only the JVM has no other children.
     */
    private static void stopChildProcesses() {
        List<ProcessHandle> children = ProcessHandle.current().children().toList();
        for (ProcessHandle child : children) {
            try {
                new ProcessBuilder("kill", "-INT", Long.toString(child.pid())).start().waitFor();
            } catch (Exception e) {
                child.destroy();
            }
        }
        for (ProcessHandle child : children) {
            try {
                child.onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);
            } catch (Exception e) {
                child.destroyForcibly();
            }
        }
    }

    /** The t2i client's generate (cli module) as a library call: submit, SSE progress bar, download. */
    private int generate(URI gateway) {
        Api.GenerateRequest request = new Api.GenerateRequest(prompt, negativePrompt, steps, guidance, width, height,
                scheduler, seed, numImages);
        PrintWriter err = new PrintWriter(System.err, true);
        JobProgressListener progress = new ProgressBar(err, System.console() != null);
        JobProgressListener listener = new JobProgressListener() {
            @Override
            public void onSubmitted(Api.JobRecord job) {
                say("job " + job.id() + " " + job.status() + " (seed " + job.seed() + ")");
            }

            @Override
            public void onEvent(String eventName, Api.JobEvent event) {
                progress.onEvent(eventName, event);
            }

            @Override
            public void onFinished(Api.JobRecord job) {
                progress.onFinished(job);
            }
        };
        try {
            GenerateCommand.Result result = GenerateCommand.run(new io.texttoimage.cli.GatewayClient(gateway), request, out, listener);
            for (Images.SavedImage image : result.images()) {
                console.println("image " + image.index() + ": " + image.file().toAbsolutePath().normalize());
                console.println("  signed URL: " + image.url());
            }
            return 0;
        } catch (CliException e) {
            System.err.println("text-to-image: " + e.getMessage());
            return e.exitCode() == ExitCodes.USAGE ? 2 : 1;
        }
    }

    /** A relative model folder is made absolute: the generator runs in another working directory. */
    static String resolveModel(String model) {
        Path asPath = Path.of(model);
        return Files.isDirectory(asPath) ? asPath.toAbsolutePath().normalize().toString() : model;
    }

    private static List<String> splitOptions(String options) {
        return options.isBlank() ? List.of() : List.of(options.trim().split("\\s+"));
    }

    private static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value;
    }

    private void say(String line) {
        console.println("text-to-image: " + line);
    }

}
