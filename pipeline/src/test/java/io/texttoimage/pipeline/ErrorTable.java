package io.texttoimage.pipeline;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The worst error measured per golden case, printed after the test class and written to
 * {@code target/golden-errors-<name>.md} so that the numbers in docs/pipeline.md come from a real run.
 */
final class ErrorTable {

    private final String name;
    private final List<String> columns;
    private final Map<String, Map<String, String>> rows = new ConcurrentSkipListMap<>();

    ErrorTable(String name, String... columns) {
        this.name = name;
        this.columns = List.of(columns);
    }

    void put(String row, String column, double value) {
        put(row, column, String.format(Locale.ROOT, value == Math.rint(value) && value < 1000 ? "%.0f" : "%.3e", value));
    }

    void put(String row, String column, String value) {
        rows.computeIfAbsent(row, r -> new ConcurrentSkipListMap<>()).put(column, value);
    }

    String markdown() {
        StringBuilder text = new StringBuilder("| case | " + String.join(" | ", columns) + " |\n|---");
        text.append("|---".repeat(columns.size())).append("|\n");
        rows.forEach((row, values) -> {
            List<String> cells = new ArrayList<>();
            for (String column : columns) {
                cells.add(values.getOrDefault(column, "–"));
            }
            text.append("| ").append(row).append(" | ").append(String.join(" | ", cells)).append(" |\n");
        });
        return text.toString();
    }

    void print() {
        String table = markdown();
        System.out.println("\nWorst errors, " + name + ":\n" + table);
        try {
            Path dir = Files.createDirectories(Path.of("target"));
            Files.writeString(dir.resolve("golden-errors-" + name + ".md"), table);
        } catch (IOException e) {
            System.out.println("(could not write the table: " + e.getMessage() + ")");
        }
    }
}
