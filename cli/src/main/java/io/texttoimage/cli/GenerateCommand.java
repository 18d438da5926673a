package io.texttoimage.cli;

import io.texttoimage.contracts.SchedulerNames;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code t2i generate}: submit, follow the progress, download the images. Also usable as a library call. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Submit a prompt, show live progress, and save the images (and print their signed URLs).")
public final class GenerateCommand implements Callable<Integer> {

    /** What a finished generation produced. */
    public record Result(Api.JobRecord job, List<Images.SavedImage> images) {
    }

    @ParentCommand
    T2i root;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "PROMPT", description = "What to draw (quote it).")
    String prompt;

    @Option(names = {"-n", "--negative-prompt"}, paramLabel = "TEXT", description = "What to avoid.")
    String negativePrompt;

    @Option(names = {"-s", "--steps"}, paramLabel = "N", description = "Denoising steps, 1..150 (server default 50).")
    Integer steps;

    @Option(names = {"-g", "--guidance-scale"}, paramLabel = "X", description = "Classifier-free guidance, 0..30 (server default 7.5).")
    Double guidanceScale;

    @Option(names = {"-W", "--width"}, paramLabel = "PX", description = "Width, a multiple of 64 in 64..1024 (default: the model's).")
    Integer width;

    @Option(names = {"-H", "--height"}, paramLabel = "PX", description = "Height, a multiple of 64 in 64..1024 (default: the model's).")
    Integer height;

    @Option(names = "--scheduler", paramLabel = "NAME", completionCandidates = SchedulerNames.Candidates.class,
            description = "${COMPLETION-CANDIDATES} (A1111 names such as \"DPM++ 2M Karras\" work too; any case; "
                    + "default: the model's).")
    String scheduler;

    @Option(names = "--seed", paramLabel = "N", description = "Random seed, 0..2^63-1 (chosen by the server when absent).")
    Long seed;

    @Option(names = {"-N", "--num-images"}, paramLabel = "N", description = "Images per prompt, 1..4 (default 1).")
    Integer numImages;

    @Option(names = {"-o", "--out"}, paramLabel = "DIR", defaultValue = "out",
            description = "Folder for the PNG files (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--no-wait", description = "Only submit: print the job and exit without waiting.")
    boolean noWait;

    @Option(names = "--preview", paramLabel = "FILE", description = "Ask for live previews and keep FILE the latest "
            + "one (a small PNG with approximate colours, replaced every few steps).")
    Path preview;

    @Override
    public Integer call() {
        if (prompt == null || prompt.isBlank()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "The prompt must not be blank.");
        }
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter stderr = spec.commandLine().getErr();
        GatewayClient client = root.client();
        Api.GenerateRequest request = new Api.GenerateRequest(prompt, negativePrompt, steps, guidanceScale, width,
                height, scheduler, seed, numImages, preview != null ? Boolean.TRUE : null);
        if (noWait) {
            Api.JobRecord job = client.submit(request);
            if (root.json) {
                Output.printJson(stdout, job);
            } else {
                stdout.println(job.id());
                stdout.flush();
            }
            return ExitCodes.OK;
        }
        JobProgressListener shown = root.json ? JobProgressListener.none()
                : new SubmittedNotice(new ProgressBar(stderr, System.console() != null), stderr);
        JobProgressListener listener = preview != null ? new PreviewFile(shown, preview, stderr) : shown;
        Result result = run(client, request, out, listener);
        if (root.json) {
            Output.printJson(stdout, result);
        } else {
            Output.printImages(stdout, result.images());
            stdout.println("seed  " + result.job().seed());
            stdout.flush();
        }
        return ExitCodes.OK;
    }

    /**
     * Submits {@code request}, follows the job to its end and saves its images under {@code outDir}.
     *
     * @throws CliException with {@link ExitCodes#JOB_FAILED} when the job fails or is cancelled, and the other
     *                      exit codes for rejected requests or an unreachable gateway
     */
    public static Result run(GatewayClient client, Api.GenerateRequest request, Path outDir, JobProgressListener listener) {
        JobProgressListener progress = listener == null ? JobProgressListener.none() : listener;
        Api.JobRecord submitted = client.submit(request);
        progress.onSubmitted(submitted);
        Api.JobRecord finished = new JobWatcher(client).watch(submitted.id(), progress);
        if (!"succeeded".equals(finished.status())) {
            throw new CliException(ExitCodes.JOB_FAILED, "Job " + finished.id() + " ended " + finished.status()
                    + (finished.error() != null ? ": " + finished.error() : "."));
        }
        return new Result(finished, Images.saveAll(client, finished.id(), outDir));
    }

    /** Prints the job id as soon as it exists, so that a user can watch or cancel it from elsewhere. */
    private record SubmittedNotice(JobProgressListener bar, PrintWriter err) implements JobProgressListener {
        @Override
        public void onSubmitted(Api.JobRecord job) {
            err.println("job " + job.id() + " " + job.status() + " (seed " + job.seed() + ")");
            err.flush();
        }

        @Override
        public void onEvent(String eventName, Api.JobEvent event) {
            bar.onEvent(eventName, event);
        }

        @Override
        public void onFinished(Api.JobRecord job) {
            bar.onFinished(job);
        }
    }
}
