package io.texttoimage.gateway.api.problem;

import java.util.Collection;
import java.util.Locale;
import java.util.Optional;

/** Finds the known field a client most likely meant by an unknown one ({@code numSteps} → {@code num_steps}). */
final class FieldSuggestions {
    private FieldSuggestions() {
    }

    /**
     * The known name closest to {@code unknown}, compared without case, {@code _} and {@code -} (so camelCase, kebab-case
     * and snake_case spellings of a name are equal), by edit distance with adjacent transpositions counted as one
     * edit; empty when none is within a third of the known name's length (at least one edit).
     */
    static Optional<String> closest(String unknown, Collection<?> known) {
        String target = normalise(unknown);
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (Object candidate : known) {
            String name = String.valueOf(candidate);
            String normalised = normalise(name);
            int distance = distance(target, normalised);
            if (distance <= Math.max(1, normalised.length() / 3) && distance < bestDistance) {
                best = name;
                bestDistance = distance;
            }
        }
        return Optional.ofNullable(best);
    }

    static String normalise(String name) {
        return name.replace("_", "").replace("-", "").toLowerCase(Locale.ROOT);
    }

    /** Optimal string alignment distance: insertions, deletions, substitutions and adjacent transpositions. */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}
