package io.texttoimage.e2e.fuzz;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Every job the fuzzer created and whose credential created it ({@link #ownerOf}); and the sentinels: jobs of each
 * owner that no other caller may reveal or change, whose record is compared before and after the run.
 */
final class Ledger {
    /** A job created by the fuzzer: who created it and the unique marker in its prompt. */
    record Entry(String id, Credentials.Kind owner, String marker, boolean sentinel) {
    }

    private final Map<String, Entry> byId = new ConcurrentHashMap<>();
    private final List<Entry> entries = new CopyOnWriteArrayList<>();
    private final Map<String, JsonNode> sentinelBefore = new ConcurrentHashMap<>();

    void record(String id, Credentials.Kind owner, String marker) {
        add(new Entry(id, owner, marker, false));
    }

    void recordSentinel(String id, Credentials.Kind owner, String marker, JsonNode record) {
        add(new Entry(id, owner, marker, true));
        sentinelBefore.put(id, record);
    }

    private void add(Entry entry) {
        if (byId.putIfAbsent(entry.id(), entry) == null) {
            entries.add(entry);
        }
    }

    Optional<Credentials.Kind> ownerOf(String jobId) {
        return Optional.ofNullable(byId.get(jobId)).map(Entry::owner);
    }

    Optional<Entry> entry(String jobId) {
        return Optional.ofNullable(byId.get(jobId));
    }

    List<Entry> entries() {
        return List.copyOf(entries);
    }

    int size() {
        return entries.size();
    }

    /** A known job chosen at random: of {@code owner} when it has one (null: of anyone); empty when none is known. */
    Optional<Entry> pick(SplittableRandom random, Credentials.Kind owner, boolean sentinelsOnly) {
        List<Entry> candidates = new ArrayList<>();
        for (Entry entry : entries) {
            if ((owner == null || entry.owner() == owner) && (!sentinelsOnly || entry.sentinel())) {
                candidates.add(entry);
            }
        }
        return candidates.isEmpty() ? Optional.empty()
                : Optional.of(candidates.get(random.nextInt(candidates.size())));
    }

    /** The prompt marker of request {@code index}: unique, and no marker is a prefix of another. */
    static String marker(int index) {
        return "fz" + index + "q";
    }

    /** Jobs whose prompt marker appears in {@code text} and that are not {@code caller}'s. */
    List<Entry> foreignMarkersIn(String text, Credentials.Kind caller) {
        Map<String, Entry> byMarker = new java.util.HashMap<>();
        for (Entry entry : entries) {
            byMarker.put(entry.marker(), entry);
        }
        List<Entry> found = new ArrayList<>();
        java.util.regex.Matcher matcher = MARKER.matcher(text);
        while (matcher.find()) {
            Entry entry = byMarker.get(matcher.group());
            if (entry != null && entry.owner() != caller) {
                found.add(entry);
            }
        }
        return found;
    }

    private static final java.util.regex.Pattern MARKER = java.util.regex.Pattern.compile("fz-?\\d+q");

    Map<String, JsonNode> sentinelsBefore() {
        return sentinelBefore;
    }
}
