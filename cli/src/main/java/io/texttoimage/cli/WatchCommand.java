package io.texttoimage.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

@Command(name = "watch", mixinStandardHelpOptions = true,
        description = {"Follow a job's live progress until it ends.",
                "With --json, prints each event as one JSON line, then the final job record."})
public final class WatchCommand implements Callable<Integer> {

    @ParentCommand
    T2i root;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "ID", description = "Job id.")
    String id;

    @Override
    public Integer call() {
        String jobId = JobIds.check(spec.commandLine(), id);
        PrintWriter stdout = spec.commandLine().getOut();
        JobProgressListener listener = root.json
                ? (name, event) -> Output.printJson(stdout, event)
                : new ProgressBar(spec.commandLine().getErr(), System.console() != null);
        Api.JobRecord job = new JobWatcher(root.client()).watch(jobId, listener);
        if (root.json) {
            Output.printJson(stdout, job);
        } else {
            stdout.println(job.id() + " " + job.status() + (job.error() != null ? ": " + job.error() : ""));
            stdout.flush();
        }
        return Output.exitCodeFor(job);
    }
}
