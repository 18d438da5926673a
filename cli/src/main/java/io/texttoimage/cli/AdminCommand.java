package io.texttoimage.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code t2i admin keys create|list|revoke}: the gateway's API keys, for admin callers. The key these commands
 * send is the admin one: {@code --api-key}, else {@code T2I_API_KEY}, else {@code <checkout>/.t2i/admin-key}.
 */
@Command(name = "admin", mixinStandardHelpOptions = true, subcommands = AdminCommand.Keys.class,
        description = "Administration (needs an admin key): API keys.")
public final class AdminCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing a command: keys.");
    }

    @Command(name = "keys", mixinStandardHelpOptions = true,
            subcommands = {Create.class, ListKeys.class, Revoke.class},
            description = "Create, list and revoke the gateway's API keys.")
    static final class Keys implements Runnable {

        @Spec
        CommandSpec spec;

        @Override
        public void run() {
            throw new CommandLine.ParameterException(spec.commandLine(), "Missing a command: create, list or revoke.");
        }
    }

    /** What the three key commands share: the admin client and the root's --json. */
    abstract static class KeyCommand implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        final T2i root() {
            return (T2i) spec.root().userObject();
        }

        final GatewayClient adminClient() {
            return root().client(true);
        }

        final PrintWriter out() {
            return spec.commandLine().getOut();
        }

        final PrintWriter err() {
            return spec.commandLine().getErr();
        }
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = "Create an API key and print it: it is shown only this once.")
    static final class Create extends KeyCommand {

        @Option(names = "--name", required = true, paramLabel = "NAME", description = "What the key is for (1-100 characters).")
        String name;

        @Option(names = "--owner", paramLabel = "OWNER", description = "Whose jobs it creates and sees (default: the name).")
        String owner;

        @Option(names = "--admin", description = "An admin key: may manage keys and sees every owner's jobs.")
        boolean admin;

        @Option(names = "--expires-at", paramLabel = "ISO", description = "When it stops working, e.g. 2027-01-01T00:00:00Z (default: never).")
        String expiresAt;

        @Override
        public Integer call() {
            if (expiresAt != null) {
                try {
                    OffsetDateTime.parse(expiresAt.trim());
                } catch (DateTimeParseException e) {
                    throw new CommandLine.ParameterException(spec.commandLine(), "--expires-at '" + expiresAt
                            + "' is not an ISO-8601 date-time with an offset, such as 2027-01-01T00:00:00Z.");
                }
            }
            Api.ApiKeyRecord created = adminClient().createKey(new Api.CreateKeyRequest(name, owner,
                    admin ? Boolean.TRUE : null, expiresAt == null ? null : expiresAt.trim()));
            if (root().json) {
                Output.printJson(out(), created);
                return ExitCodes.OK;
            }
            // The key alone on standard output (KEY=$(t2i admin keys create ...) works); the words on standard error.
            err().println("created API key " + created.id() + " \"" + created.name() + "\" for owner " + created.owner()
                    + (Boolean.TRUE.equals(created.admin()) ? ", admin" : "") + ", "
                    + (created.expiresAt() == null ? "no expiry" : "expires " + created.expiresAt()));
            err().flush();
            out().println(created.key());
            out().flush();
            err().println("this key is shown only now and will not be shown again: store it somewhere safe");
            err().flush();
            return ExitCodes.OK;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the API keys, newest first (revoked ones too).")
    static final class ListKeys extends KeyCommand {

        @Override
        public Integer call() {
            Api.ApiKeyList keys = adminClient().listKeys();
            List<Api.ApiKeyRecord> items = keys.items() == null ? List.of() : keys.items();
            if (root().json) {
                Output.printJson(out(), keys);
                return ExitCodes.OK;
            }
            if (items.isEmpty()) {
                out().println("no API keys yet");
            } else {
                String format = "%-36s  %-7s  %-20s  %-20s  %-5s  %-20s  %-20s  %s%n";
                out().printf(format, "ID", "STATE", "NAME", "OWNER", "ADMIN", "CREATED", "EXPIRES", "LAST USED");
                for (Api.ApiKeyRecord key : items) {
                    out().printf(format, key.id(), state(key), key.name(), key.owner(),
                            Boolean.TRUE.equals(key.admin()) ? "yes" : "no", seconds(key.createdAt()),
                            key.expiresAt() == null ? "never" : seconds(key.expiresAt()),
                            key.lastUsedAt() == null ? "never" : seconds(key.lastUsedAt()));
                }
            }
            out().flush();
            return ExitCodes.OK;
        }

        private static String state(Api.ApiKeyRecord key) {
            if (key.revokedAt() != null) {
                return "revoked";
            }
            if (key.expiresAt() != null && OffsetDateTime.parse(key.expiresAt()).isBefore(OffsetDateTime.now())) {
                return "expired";
            }
            return "active";
        }

        /** 2026-12-01T19:42:54.123456Z → 2026-12-01T19:42:54Z: the columns line up whatever the precision. */
        private static String seconds(String timestamp) {
            return timestamp == null ? "" : timestamp.replaceFirst("\\.\\d+", "");
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true,
            description = "Revoke an API key: from now on the gateway refuses it (the record stays, with revoked_at).")
    static final class Revoke extends KeyCommand {

        @Parameters(index = "0", paramLabel = "ID", description = "The key's id (t2i admin keys list shows it).")
        String id;

        @Override
        public Integer call() {
            Api.ApiKeyRecord revoked = adminClient().revokeKey(id.trim());
            if (root().json) {
                Output.printJson(out(), revoked);
            } else {
                out().println("revoked API key " + revoked.id() + " \"" + revoked.name() + "\" (owner " + revoked.owner()
                        + ") at " + revoked.revokedAt());
                out().flush();
            }
            return ExitCodes.OK;
        }
    }
}
