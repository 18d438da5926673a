package io.texttoimage.localstack;

import io.texttoimage.cli.Api;
import io.texttoimage.cli.ApiKey;
import io.texttoimage.cli.CliException;
import io.texttoimage.cli.ExitCodes;
import io.texttoimage.cli.GenerateCommand;
import io.texttoimage.cli.Images;
import io.texttoimage.cli.JobProgressListener;
import io.texttoimage.cli.ProgressBar;
import io.texttoimage.cli.Version;
import io.texttoimage.localstack.infra.Infrastructure;
import io.texttoimage.localstack.infra.TestInfrastructure;
import io.texttoimage.localstack.service.DataDirLock;
import io.texttoimage.localstack.service.LocalStack;
import io.texttoimage.localstack.service.ServiceFailedException;
import io.texttoimage.localstack.service.StackNames;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** README command 1: {@code bin/text-to-image "a prompt"} — start everything, generate, save, stop. */
@Command(name = "text-to-image", mixinStandardHelpOptions = true, sortOptions = false, versionProvider = Main.VersionProvider.class,
        description = "Starts the whole text-to-image system on this machine (PostgreSQL, an AMQP broker and S3 are"
                + " embedded unless configured or already running), generates images for PROMPT with a live progress bar,"
                + " saves them under --out, and stops everything again (or keeps it running with --keep-running, and"
                + " then prints the images' signed URLs). Arguments are checked before anything starts. Everything"
                + " listens on 127.0.0.1 only. Environment: see docs/local-stack.md.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:images saved (or stack stopped cleanly)", "1:the job failed or was cancelled",
                "2:invalid arguments or rejected request", "3:the stack could not start (or the build failed)", "130:stopped with Ctrl-C"})
public final class Main implements Callable<Integer> {
    public static final String DEFAULT_MODEL = "onnx-community/stable-diffusion-v1-5-ONNX";
    /** The line bin/test waits for (--infra-only) before it runs Maven. */
    public static final String INFRA_READY = "test infrastructure ready";
    /** The model that ships with the repository, relative to its root (what README command 1 suggests offline). */
    public static final String TINY_MODEL = "testdata/sd-reference/model";
    /** The generator's failure reasons that mean: no Hub, and the model is not in the cache either. */
    private static final java.util.Set<String> HUB_UNAVAILABLE = java.util.Set.of("NETWORK", "OFFLINE_NOT_CACHED");

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
    /** Set by the shutdown hook (Ctrl-C, SIGTERM): what fails after that is the stop, not an error to report. */
    private final AtomicBoolean stopping = new AtomicBoolean();
    /** The job being generated, so that a stop can say what becomes of it. */
    private volatile String currentJobId;

    /** {@code --version}: the project version the build recorded (cli's version.properties). */
    public static final class VersionProvider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"text-to-image " + Version.project()};
        }
    }

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
        Optional<String> invalid = argumentProblem();
        if (invalid.isPresent()) {
            System.err.println("text-to-image: " + invalid.get());
            return 2;
        }
        Path repoRoot = Path.of(System.getProperty("t2i.repo.root", ".")).toAbsolutePath().normalize();
        Path data = Optional.ofNullable(dataDir)
                .or(() -> Optional.ofNullable(System.getenv("T2I_DATA_DIR")).filter(s -> !s.isBlank()).map(Path::of))
                .orElse(repoRoot.resolve(".data")).toAbsolutePath().normalize();
        Files.createDirectories(data.resolve("logs"));
        // Before any library logs: they go to this file, the terminal is for the progress bar.
        System.setProperty("t2i.local-stack.log", data.resolve("logs/local-stack.log").toString());
        return run(stackOptions(repoRoot, data));
    }

    /** What can be checked before anything starts: the request (as the gateway checks it) and the model argument. */
    Optional<String> argumentProblem() {
        if (prompt != null) {
            List<Api.FieldError> errors = RequestCheck.violations(request());
            if (!errors.isEmpty()) {
                return Optional.of("invalid request, nothing was started: " + RequestCheck.describe(errors) + ".");
            }
        }
        return ModelArgument.problem(model);
    }

    /**
     * The database and the messaging prefix default to names derived from the data folder ({@link StackNames}), so
     * two stacks on the machine's PostgreSQL and RabbitMQ never take each other's jobs.
     */
    private LocalStack.Options stackOptions(Path repoRoot, Path data) {
        StackNames names = StackNames.of(data);
        return new LocalStack.Options(repoRoot, data,
                Infrastructure.Options.fromEnvironment(data, env("T2I_DATABASE", names.database()), 9000),
                env("T2I_MESSAGING_PREFIX", names.messagingPrefix()), resolveModel(model), modelRevision, true, Map.of(),
                Duration.ofMinutes(5), Duration.ofMinutes(Long.parseLong(env("T2I_GENERATOR_READY_MINUTES", "60"))),
                splitOptions(env("T2I_SERVICE_JAVA_OPTS", "")), keyDir(repoRoot));
    }

    /**
     * Where the run's admin key and API key go: T2I_KEY_DIR, else {@code <checkout>/.t2i} — where bin/t2i, run from
     * the same checkout, looks for them.
     */
    static Path keyDir(Path repoRoot) {
        return Path.of(env(ApiKey.KEY_DIR_ENV, repoRoot.resolve(".t2i").toString())).toAbsolutePath().normalize();
    }

    private int run(LocalStack.Options options) throws InterruptedException {
        say("starting the local stack (data in " + options.dataDir() + ")");
        LocalStack stack;
        try {
            stack = LocalStack.startInfrastructure(options, this::say);
        } catch (Exception e) {
            System.err.println("text-to-image: the stack could not start: " + e.getMessage());
            return 3;
        }
        // From here on, Ctrl-C / SIGTERM / any exit stops whatever has been started so far.
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> stopOnSignal(stack, stopped), "local-stack-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            stack.startOneOfEachService();
        } catch (Exception e) {
            if (stopping.get()) {
                return awaitStop(stopped); // the services died because we are stopping them: nothing to report
            }
            reportStartFailure(e);
            return 3;
        }
        int exitCode = prompt != null ? generate(stack) : 0;
        if (keepRunning && !stopping.get()) {
            say("gateway:    " + stack.gatewayUri());
            say("web page:   " + stack.gatewayUri().resolve("/") + stack.apiKeyFile().filter(f -> stack.apiKey() != null)
                    .map(file -> " (its API key field wants the key in " + file + ")").orElse(""));
            say("Swagger UI: " + stack.gatewayUri().resolve("/q/swagger-ui"));
            say("the stack keeps running (on 127.0.0.1 only, see docs/local-stack.md); press Ctrl-C to stop it");
        }
        if (keepRunning || stopping.get()) {
            stopped.await();
            return stopping.get() && exitCode == 0 ? 130 : exitCode;
        }
        Runtime.getRuntime().removeShutdownHook(hook);
        say("stopping the local stack");
        stack.close();
        say("stopped");
        return exitCode;
    }

    /** The shutdown hook's work: say what becomes of a running job, stop everything, release the main thread. */
    private void stopOnSignal(LocalStack stack, CountDownLatch stopped) {
        stopping.set(true);
        if (System.console() != null) {
            console.println(); // a progress bar redrawn in place has no line end yet
        }
        say("stopping the local stack");
        String job = currentJobId;
        if (job != null) {
            say("job " + job + " was not finished: it stays queued and runs when the stack starts again on this data"
                    + " folder (bin/text-to-image --keep-running, then bin/t2i watch " + job + ")");
        }
        stack.close();
        say("stopped");
        stopped.countDown();
    }

    private static int awaitStop(CountDownLatch stopped) throws InterruptedException {
        stopped.await();
        return 130;
    }

    /** One sentence for a final failure a service reported; the log's end for anything else. */
    private void reportStartFailure(Exception e) {
        if (e instanceof ServiceFailedException failed) {
            String what = failed.service().startsWith("generator") ? "the generator cannot load the model" : failed.service() + " failed";
            System.err.println("text-to-image: the stack could not start: " + what + ": " + failed.getMessage());
            if (HUB_UNAVAILABLE.contains(failed.reason()) && !Files.isDirectory(Path.of(model))) {
                System.err.println("text-to-image: to run the whole stack without the Hugging Face Hub, use the tiny model"
                        + " that ships with the repository (noise-like 64x64 images, every stage runs): --model "
                        + TINY_MODEL);
            }
            return;
        }
        System.err.println("text-to-image: the stack could not start: " + e.getMessage());
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

    private Api.GenerateRequest request() {
        return new Api.GenerateRequest(prompt, negativePrompt, steps, guidance, width, height, scheduler, seed, numImages);
    }

    /** The t2i client's generate (cli module) as a library call: submit, SSE progress bar, download. */
    private int generate(LocalStack stack) {
        PrintWriter err = new PrintWriter(System.err, true);
        JobProgressListener progress = new ProgressBar(err, System.console() != null);
        JobProgressListener listener = new JobProgressListener() {
            @Override
            public void onSubmitted(Api.JobRecord job) {
                currentJobId = job.id();
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
            ApiKey key = ApiKey.of(stack.apiKey(), stack.apiKeyFile().map(Path::toString).orElse("the local stack"));
            GenerateCommand.Result result = GenerateCommand.run(new io.texttoimage.cli.GatewayClient(stack.gatewayUri(), key),
                    request(), out, listener);
            currentJobId = null;
            printImages(result.images(), signedUrlsOutliveTheRun(stack));
            return 0;
        } catch (CliException e) {
            if (stopping.get()) {
                return 130; // the gateway went away because we are stopping it; the hook says what became of the job
            }
            currentJobId = null;
            System.err.println("text-to-image: " + e.getMessage());
            return e.exitCode() == ExitCodes.USAGE ? 2 : 1;
        }
    }

    /** An embedded S3 stops with a one-shot run: its signed URLs would be dead links once this command returns. */
    private boolean signedUrlsOutliveTheRun(LocalStack stack) {
        return keepRunning || !stack.infrastructure().s3().origin().startsWith("embedded");
    }

    private void printImages(List<Images.SavedImage> images, boolean withUrls) {
        for (Images.SavedImage image : images) {
            console.println("image " + image.index() + ": " + image.file().toAbsolutePath().normalize());
            if (withUrls) {
                console.println("  signed URL: " + image.url());
            }
        }
        if (!withUrls) {
            say("no signed URLs: the embedded S3 stops with this command (with --keep-running they work while the stack runs)");
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
