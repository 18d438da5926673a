package io.texttoimage.cli;

import picocli.CommandLine;

import java.util.UUID;

/** Job ids are UUIDs: a typo is reported before any request is made. */
final class JobIds {

    private JobIds() {
    }

    static String check(CommandLine commandLine, String id) {
        try {
            return UUID.fromString(id.trim()).toString();
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(commandLine, "'" + id + "' is not a job id (a UUID such as "
                    + "3f1c2a4e-8d5b-4c1e-9a77-0b6f5e2d9c10).");
        }
    }
}
