package io.texttoimage.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

@Command(name = "list", mixinStandardHelpOptions = true, description = "List jobs, newest first.")
public final class ListCommand implements Callable<Integer> {

    @ParentCommand
    T2i root;

    @Spec
    CommandSpec spec;

    @Option(names = "--page", paramLabel = "N", defaultValue = "0", description = "Page number from 0 (default ${DEFAULT-VALUE}).")
    int page;

    @Option(names = "--size", paramLabel = "N", defaultValue = "20", description = "Jobs per page (default ${DEFAULT-VALUE}).")
    int size;

    @Override
    public Integer call() {
        if (page < 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--page must be 0 or more, not " + page + ".");
        }
        if (size < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--size must be 1 or more, not " + size + ".");
        }
        Api.JobPage jobs = root.client().list(page, size);
        PrintWriter out = spec.commandLine().getOut();
        if (root.json) {
            Output.printJson(out, jobs);
            return ExitCodes.OK;
        }
        if (jobs.items() == null || jobs.items().isEmpty()) {
            out.println(jobs.total() == 0 ? "no jobs yet" : "no jobs on page " + jobs.page() + " (" + jobs.total() + " in all)");
        } else {
            out.println(Output.summaryHeader());
            jobs.items().forEach(job -> out.println(Output.summaryLine(job)));
            long pages = (jobs.total() + jobs.size() - 1) / Math.max(1, jobs.size());
            out.println("page " + jobs.page() + " of " + pages + ", " + jobs.total() + " jobs");
        }
        out.flush();
        return ExitCodes.OK;
    }
}
