package io.texttoimage.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import java.util.function.Consumer;

/**
 * What the commands that act on one job, named by its id ({@code cancel}, {@code download}, {@code get},
 * {@code watch}), have in common: the {@code ID} parameter, the inherited {@code --url} and {@code --json}
 * options, and printing a result either as JSON or as human text. Failures are not handled here: a
 * {@link CliException} thrown by the client is turned into its exit code by {@link T2i#execute}.
 */
abstract class JobCommand implements Callable<Integer> {

    @ParentCommand
    T2i root;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "ID", description = "Job id.")
    String id;

    /** The {@code ID} argument as a canonical UUID; anything else is a usage error (exit code 2). */
    final String jobId() {
        return JobIds.check(spec.commandLine(), id);
    }

    /** A client of the gateway at {@code --url}; a malformed URL is a usage error (exit code 2). */
    final GatewayClient client() {
        return root.client();
    }

    final boolean json() {
        return root.json;
    }

    final PrintWriter out() {
        return spec.commandLine().getOut();
    }

    final PrintWriter err() {
        return spec.commandLine().getErr();
    }

    /** Prints {@code value} as one line of JSON with {@code --json}; otherwise lets {@code human} write text. */
    final void print(Object value, Consumer<PrintWriter> human) {
        PrintWriter out = out();
        if (json()) {
            Output.printJson(out, value);
        } else {
            human.accept(out);
            out.flush();
        }
    }
}
