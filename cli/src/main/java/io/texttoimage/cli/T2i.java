package io.texttoimage.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.net.URI;

/** {@code t2i}: the command-line client of a text-to-image gateway. */
@Command(name = "t2i", mixinStandardHelpOptions = true, versionProvider = Version.OfT2i.class,
        description = "Generate images with a text-to-image gateway and manage its jobs.",
        subcommands = {GenerateCommand.class, WatchCommand.class, GetCommand.class, ListCommand.class,
                CancelCommand.class, DownloadCommand.class, AdminCommand.class, CommandLine.HelpCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:ok", "1:the job failed or was cancelled, or the job's state does not allow the request",
                "2:invalid arguments, or the gateway rejected the request (its problem detail is printed; also a"
                        + " missing or refused API key, a missing admin right, a quota)",
                "3:the gateway cannot be reached or failed", "4:no such job"},
        footer = {"", "The gateway URL comes from --url, else the environment variable T2I_URL, else "
                + GatewayClient.DEFAULT_URL + ".",
                "The API key comes from --api-key, else T2I_API_KEY, else the file the local stack writes:"
                        + " <checkout>/.t2i/api-key (t2i admin: .t2i/admin-key; T2I_KEY_DIR names another folder)."})
public final class T2i implements Runnable {

    @Spec
    CommandSpec spec;

    @Option(names = "--url", scope = ScopeType.INHERIT, paramLabel = "URL",
            defaultValue = "${env:T2I_URL:-" + GatewayClient.DEFAULT_URL + "}",
            description = "Gateway base URL (env T2I_URL; default ${DEFAULT-VALUE}).")
    String url;

    @Option(names = "--api-key", scope = ScopeType.INHERIT, paramLabel = "KEY",
            description = "API key, sent as Authorization: Bearer (default: env T2I_API_KEY, else <checkout>/.t2i/api-key,"
                    + " or .t2i/admin-key for admin commands).")
    String apiKey;

    @Option(names = "--json", scope = ScopeType.INHERIT,
            description = "Print machine-readable JSON on standard output instead of human text.")
    boolean json;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing a command: generate, watch, get, list, cancel, download or admin.");
    }

    GatewayClient client() {
        return client(false);
    }

    /** A client with the key for a normal command, or with the admin key for {@code t2i admin}. */
    GatewayClient client(boolean admin) {
        ApiKey key = ApiKey.resolve(apiKey, System.getenv(), admin);
        try {
            return new GatewayClient(URI.create(url.trim()), key);
        } catch (IllegalArgumentException e) {
            throw new CliException(ExitCodes.USAGE, "The gateway URL '" + url + "' is not a URL: pass --url http://host:port.");
        }
    }

    public static void main(String[] args) {
        System.exit(execute(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
    }

    /** Runs t2i with the given output streams and returns the exit code (used by tests and other launchers). */
    public static int execute(PrintWriter out, PrintWriter err, String... args) {
        T2i root = new T2i();
        CommandLine commandLine = new CommandLine(root);
        commandLine.setOut(out);
        commandLine.setErr(err);
        commandLine.setExecutionExceptionHandler((exception, cmd, parseResult) -> {
            if (exception instanceof CliException cli) {
                cmd.getErr().println("t2i: " + cli.getMessage());
                cmd.getErr().flush();
                if (root.json) {
                    Output.printJson(cmd.getOut(), new Output.ErrorReport(cli.getMessage(), cli.exitCode(), cli.problem()));
                }
                return cli.exitCode();
            }
            throw exception;
        });
        return commandLine.execute(args);
    }
}
