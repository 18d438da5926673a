package io.texttoimage.cli;

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

@Command(name = "download", mixinStandardHelpOptions = true,
        description = "Save a finished job's images via fresh signed URLs.")
public final class DownloadCommand implements Callable<Integer> {

    @ParentCommand
    T2i root;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "ID", description = "Job id.")
    String id;

    @Option(names = {"-o", "--out"}, paramLabel = "DIR", defaultValue = "out",
            description = "Folder for the PNG files (default: ${DEFAULT-VALUE}).")
    Path out;

    @Override
    public Integer call() {
        List<Images.SavedImage> saved = Images.saveAll(root.client(), JobIds.check(spec.commandLine(), id), out);
        PrintWriter stdout = spec.commandLine().getOut();
        if (root.json) {
            Output.printJson(stdout, saved);
        } else {
            for (Images.SavedImage image : saved) {
                stdout.println("saved " + image.file());
                stdout.println("url   " + image.url());
            }
            stdout.flush();
        }
        return ExitCodes.OK;
    }
}
