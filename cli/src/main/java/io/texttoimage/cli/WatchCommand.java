package io.texttoimage.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;

@Command(name = "watch", mixinStandardHelpOptions = true,
        description = {"Follow a job's live progress until it ends.",
                "With --json, prints each event as one JSON line, then the final job record."})
public final class WatchCommand extends JobCommand {

    @Option(names = "--preview", paramLabel = "FILE", description = "Keep FILE the job's latest live preview (a "
            + "small PNG; only for jobs submitted with previews).")
    Path preview;

    @Override
    public Integer call() {
        String jobId = jobId(); // checked before the URL, unlike the other job commands
        PrintWriter stdout = out();
        JobProgressListener shown = json()
                ? (name, event) -> Output.printJson(stdout, event)
                : new ProgressBar(err(), System.console() != null);
        JobProgressListener listener = preview != null ? new PreviewFile(shown, preview, err()) : shown;
        Api.JobRecord job = new JobWatcher(client()).watch(jobId, listener);
        print(job, out -> out.println(job.id() + " " + job.status() + (job.error() != null ? ": " + job.error() : "")));
        return Output.exitCodeFor(job);
    }
}
