package io.texttoimage.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

@Command(name = "cancel", mixinStandardHelpOptions = true,
        description = {"Ask the gateway to cancel a job.",
                "The worker stops between two denoising steps; `t2i watch ID` shows when it is cancelled."})
public final class CancelCommand implements Callable<Integer> {

    @ParentCommand
    T2i root;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "ID", description = "Job id.")
    String id;

    @Override
    public Integer call() {
        Api.JobRecord job = root.client().cancel(JobIds.check(spec.commandLine(), id));
        if (root.json) {
            Output.printJson(spec.commandLine().getOut(), job);
        } else {
            spec.commandLine().getOut().println("cancel requested for " + job.id() + " (status " + job.status() + ")");
            spec.commandLine().getOut().flush();
        }
        return ExitCodes.OK;
    }
}
