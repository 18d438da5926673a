package io.texttoimage.tools;

import io.texttoimage.hub.DownloadProgress;
import io.texttoimage.hub.HubException;
import io.texttoimage.hub.HubModelResolver;
import io.texttoimage.hub.HubSettings;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.nio.file.Path;

/**
 * Fetches a model into the Hub cache ahead of time and prints its folder, e.g. in a Kubernetes init container or
 * an image build, so that workers start without a download:
 * {@code java -cp <pipeline-tools classpath> io.texttoimage.tools.HubDownloadCommand onnx-community/stable-diffusion-v1-5-ONNX}.
 */
@Command(name = "hub-download", mixinStandardHelpOptions = true,
        description = "Download the files of a Hub model that the pipeline needs into the Hugging Face cache "
                + "(HF_HOME / HF_HUB_CACHE) and print the model folder.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:ok", "1:download failed (corrupt file, disk full, server error)", "2:invalid model reference",
                "3:Hub unreachable, or offline and not cached", "4:repo or revision not found, or access refused"})
public final class HubDownloadCommand {

    @Parameters(index = "0", arity = "0..1", paramLabel = "MODEL", defaultValue = HubModelResolver.DEFAULT_MODEL,
            description = "Hub repo id org/name, or a local folder (printed as is); default ${DEFAULT-VALUE}.")
    String model;

    @Option(names = "--revision", paramLabel = "REV", defaultValue = HubModelResolver.DEFAULT_REVISION,
            description = "Branch, tag or commit hash (default ${DEFAULT-VALUE}).")
    String revision;

    @Option(names = "--quiet", description = "No progress bar.")
    boolean quiet;

    private HubDownloadCommand() {
    }

    public static void main(String[] args) {
        System.exit(execute(HubSettings.fromEnvironment(), new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
    }

    static int execute(HubSettings settings, PrintWriter out, PrintWriter err, String... args) {
        HubDownloadCommand command = new HubDownloadCommand();
        CommandLine commandLine = new CommandLine(command).setOut(out).setErr(err);
        CommandLine.ParseResult parsed;
        try {
            parsed = commandLine.parseArgs(args);
        } catch (CommandLine.ParameterException e) {
            err.println(e.getMessage());
            commandLine.usage(err);
            return 2;
        }
        if (CommandLine.printHelpIfRequested(parsed)) {
            return 0;
        }
        DownloadProgress progress = command.quiet ? null : ConsoleDownloadProgress.toStandardError();
        try {
            Path folder = new HubModelResolver(settings).resolve(command.model, command.revision, progress);
            out.println(folder.toAbsolutePath());
            return 0;
        } catch (HubException e) {
            err.println("hub-download: " + e.getMessage());
            return switch (e.reason()) {
                case INVALID_REFERENCE, NOT_A_PIPELINE -> 2;
                case NETWORK, OFFLINE_NOT_CACHED -> 3;
                case NOT_FOUND, UNAUTHORIZED -> 4;
                default -> 1;
            };
        } catch (java.io.IOException e) {
            err.println("hub-download: " + e.getMessage());
            return 1;
        } finally {
            err.flush();
            out.flush();
        }
    }
}
