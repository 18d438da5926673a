package io.texttoimage.cli;

import picocli.CommandLine.Command;

import java.io.PrintWriter;

@Command(name = "watch", mixinStandardHelpOptions = true,
        description = {"Follow a job's live progress until it ends.",
                "With --json, prints each event as one JSON line, then the final job record."})
public final class WatchCommand extends JobCommand {

    @Override
    public Integer call() {
        String jobId = jobId(); // checked before the URL, unlike the other job commands
        PrintWriter stdout = out();
        JobProgressListener listener = json()
                ? (name, event) -> Output.printJson(stdout, event)
                : new ProgressBar(err(), System.console() != null);
        Api.JobRecord job = new JobWatcher(client()).watch(jobId, listener);
        print(job, out -> out.println(job.id() + " " + job.status() + (job.error() != null ? ": " + job.error() : "")));
        return Output.exitCodeFor(job);
    }
}
