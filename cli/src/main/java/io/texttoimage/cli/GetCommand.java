package io.texttoimage.cli;

import picocli.CommandLine.Command;

@Command(name = "get", mixinStandardHelpOptions = true, description = "Show one job.")
public final class GetCommand extends JobCommand {

    @Override
    public Integer call() {
        Api.JobRecord job = client().get(jobId());
        print(job, out -> Output.printJob(out, job));
        return ExitCodes.OK; // showing a failed job is a success of `get`
    }
}
