package io.texttoimage.cli;

import picocli.CommandLine.Command;

@Command(name = "cancel", mixinStandardHelpOptions = true,
        description = {"Ask the gateway to cancel a job.",
                "The worker stops between two denoising steps; `t2i watch ID` shows when it is cancelled."})
public final class CancelCommand extends JobCommand {

    @Override
    public Integer call() {
        Api.JobRecord job = client().cancel(jobId());
        print(job, out -> out.println("cancel requested for " + job.id() + " (status " + job.status() + ")"));
        return ExitCodes.OK;
    }
}
