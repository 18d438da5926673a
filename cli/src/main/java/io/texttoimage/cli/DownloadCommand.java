package io.texttoimage.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;

@Command(name = "download", mixinStandardHelpOptions = true,
        description = "Save a finished job's images via fresh signed URLs.")
public final class DownloadCommand extends JobCommand {

    @Option(names = {"-o", "--out"}, paramLabel = "DIR", defaultValue = "out",
            description = "Folder for the PNG files (default: ${DEFAULT-VALUE}).")
    Path out;

    @Override
    public Integer call() {
        List<Images.SavedImage> saved = Images.saveAll(client(), jobId(), out);
        print(saved, stdout -> Output.printImages(stdout, saved));
        return ExitCodes.OK;
    }
}
