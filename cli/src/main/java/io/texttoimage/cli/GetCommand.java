package io.texttoimage.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

@Command(name = "get", mixinStandardHelpOptions = true, description = "Show one job.")
public final class GetCommand implements Callable<Integer> {

    @ParentCommand
    T2i root;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "ID", description = "Job id.")
    String id;

    @Override
    public Integer call() {
        Api.JobRecord job = root.client().get(JobIds.check(spec.commandLine(), id));
        if (root.json) {
            Output.printJson(spec.commandLine().getOut(), job);
        } else {
            Output.printJob(spec.commandLine().getOut(), job);
        }
        return ExitCodes.OK; // showing a failed job is a success of `get`
    }
}
