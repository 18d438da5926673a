package io.texttoimage.localstack.infra;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Predicate;

/** The last lines of a log file, for error messages that point at the cause. */
public final class LogTail {
    private LogTail() {
    }

    public static String of(Path file, int lines) {
        try {
            List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(cannot read " + file + ": " + e.getMessage() + ")";
        }
    }

    /** The last line that {@code worthShowing} accepts, cut to 200 characters (log lines can be very long). */
    public static String lastLine(Path file, Predicate<String> worthShowing) {
        try {
            List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
            for (int i = all.size() - 1; i >= 0; i--) {
                String line = all.get(i).strip();
                if (worthShowing.test(line)) {
                    return line.length() > 200 ? line.substring(0, 199) + "…" : line;
                }
            }
            return "(nothing logged yet: the JVM is starting)";
        } catch (IOException e) {
            return "(cannot read " + file + ": " + e.getMessage() + ")";
        }
    }
}
