package io.texttoimage.e2e.chaos;

import io.texttoimage.contracts.ImageStored;
import io.texttoimage.e2e.Pngs;
import io.texttoimage.e2e.SdGenerate;
import io.texttoimage.e2e.chaos.ChaosClient.Answer;
import io.texttoimage.e2e.chaos.ChaosClient.Submission;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Array;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * What a chaos run must show (docs/chaos.md): read from the database, the bucket's folder and what the client
 * recorded, after the run. Each check is a line PASS or FAIL with its evidence; the figures go into the summary.
 */
final class ChaosChecks {

    record Check(String name, boolean passed, String evidence) {
    }

    /** A job's row as the database has it after the run. */
    record Row(String id, String status, String prompt, int numImages, List<String> imageKeys, Integer attempts,
               String error, Instant createdAt, Instant finishedAt) {
    }

    private final ChaosRun run;
    final List<Check> checks = new ArrayList<>();
    final Map<String, Object> figures = new LinkedHashMap<>();
    private final Map<String, Row> rows = new HashMap<>();

    ChaosChecks(ChaosRun run) {
        this.run = run;
    }

    boolean allPassed() {
        return !checks.isEmpty() && checks.stream().allMatch(Check::passed);
    }

    void evaluate() throws Exception {
        readRows();
        List<Submission> accepted = run.submissions.stream().filter(s -> s.jobId != null).toList();
        long extra = run.submissions.stream().filter(s -> s.index >= 10_000).count();
        figures.put("jobs submitted", run.submissions.size() + " (" + run.scenario.jobs() + " load + 1 poison + " + extra
                + " probes and long jobs for the faults)");
        figures.put("jobs accepted", accepted.size());
        figures.put("faults injected", run.faults.size());
        figures.put("generator exits by themselves with 137 (the poison job), as the supervisor saw them", run.selfExits.get());
        figures.put("generator exits at start (status 1), restarted", run.failedStarts.get());
        add("every fault was injected and healed", run.faultErrors.isEmpty(), String.join("; ", run.faultErrors));
        terminalStates(accepted);
        lostAndDuplicated(accepted);
        objects();
        poison();
        streams(accepted);
        serverErrors();
        attempts();
        pixels(accepted);
    }

    private void readRows() throws SQLException {
        try (Connection connection = run.database(); Statement statement = connection.createStatement();
             ResultSet result = statement.executeQuery("SELECT id, status, prompt, num_images, image_keys, attempts,"
                     + " error, created_at, finished_at FROM generated_images")) {
            while (result.next()) {
                Array keys = result.getArray(5);
                Integer attempts = (Integer) result.getObject(6);
                java.sql.Timestamp finished = result.getTimestamp(9);
                Row row = new Row(result.getString(1), result.getString(2), result.getString(3), result.getInt(4),
                        keys == null ? List.of() : Arrays.asList((String[]) keys.getArray()), attempts,
                        result.getString(7), result.getTimestamp(8).toInstant(),
                        finished == null ? null : finished.toInstant());
                rows.put(row.id(), row);
            }
        }
    }

    private void add(String name, boolean passed, String evidence) {
        checks.add(new Check(name, passed, evidence));
    }

    /** Every accepted job ended (one terminal state, within the bound); none left queued or running. */
    private void terminalStates(List<Submission> accepted) {
        Map<String, Long> byStatus = accepted.stream().map(s -> rows.get(s.jobId)).filter(r -> r != null)
                .collect(Collectors.groupingBy(Row::status, java.util.TreeMap::new, Collectors.counting()));
        List<String> stuck = new ArrayList<>();
        List<String> late = new ArrayList<>();
        for (Submission submission : accepted) {
            Row row = rows.get(submission.jobId);
            if (row == null) {
                continue; // counted as lost
            }
            if (!Set.of("SUCCEEDED", "FAILED", "CANCELLED").contains(row.status())) {
                stuck.add(row.id() + " " + row.status());
            } else if (Duration.between(row.createdAt(), row.finishedAt()).compareTo(run.scenario.jobBound()) > 0) {
                late.add(row.id() + " took " + Duration.between(row.createdAt(), row.finishedAt()).toSeconds() + " s");
            }
        }
        figures.put("succeeded", byStatus.getOrDefault("SUCCEEDED", 0L));
        figures.put("failed", byStatus.getOrDefault("FAILED", 0L));
        figures.put("cancelled", byStatus.getOrDefault("CANCELLED", 0L));
        figures.put("stuck", stuck.size());
        add("every accepted job ended within " + run.scenario.jobBound().toMinutes() + " min; none stuck queued/running",
                stuck.isEmpty() && late.isEmpty(), "by status " + byStatus + (stuck.isEmpty() ? "" : "; stuck " + stuck)
                        + (late.isEmpty() ? "" : "; late " + late));
        List<String> failedOthers = accepted.stream().filter(s -> s != run.poison).map(s -> rows.get(s.jobId))
                .filter(r -> r != null && !"SUCCEEDED".equals(r.status()))
                .map(r -> r.id() + " " + r.status() + ": " + r.error()).toList();
        figures.put("failed jobs other than the poison one", failedOthers.size());
        List<String> withoutReason = accepted.stream().map(s -> rows.get(s.jobId))
                .filter(r -> r != null && "FAILED".equals(r.status()) && (r.error() == null || r.error().isBlank()))
                .map(Row::id).toList();
        add("every failed job says why", withoutReason.isEmpty(), withoutReason.isEmpty() ? "" : "no reason: " + withoutReason);
        if (!failedOthers.isEmpty()) {
            figures.put("why they failed", failedOthers.stream().limit(10).toList());
        }
    }

    /** No accepted job without its row; no submission (idempotency key, unique prompt) with two jobs. */
    private void lostAndDuplicated(List<Submission> accepted) {
        List<String> lost = accepted.stream().filter(s -> !rows.containsKey(s.jobId)).map(s -> s.jobId).toList();
        Map<String, List<Row>> byPrompt = rows.values().stream().collect(Collectors.groupingBy(Row::prompt));
        List<String> duplicated = new ArrayList<>();
        List<String> unacknowledged = new ArrayList<>();
        int refused = 0;
        for (Submission submission : run.submissions) {
            List<Row> all = byPrompt.getOrDefault(submission.prompt(), List.of());
            // A refused submission's row (its id in the 503, failed, never queued) is documented, not a duplicate.
            List<Row> jobs = all.stream().filter(r -> !(submission.refusedIds.contains(r.id()) && "FAILED".equals(r.status())))
                    .toList();
            refused += all.size() - jobs.size();
            if (jobs.size() > 1) {
                duplicated.add("submission " + submission.index + ": " + jobs.stream().map(r -> r.id() + " "
                        + r.status() + (submission.refusedIds.contains(r.id()) ? " (named in a 503)" : "")).toList());
            }
            if (submission.jobId == null && !jobs.isEmpty()) {
                unacknowledged.add("submission " + submission.index + ": " + jobs.get(0).id());
            }
        }
        Set<String> prompts = run.submissions.stream().map(Submission::prompt).collect(Collectors.toSet());
        List<String> strangers = rows.values().stream().filter(r -> !prompts.contains(r.prompt())).map(Row::id).toList();
        List<String> notAccepted = run.submissions.stream().filter(s -> s.jobId == null)
                .map(s -> "submission " + s.index + " after " + s.tries + " tries, last answer " + s.lastAnswer).toList();
        figures.put("lost", lost.size());
        figures.put("duplicated", duplicated.size());
        figures.put("refused submissions kept as failed rows (id in the 503, retried as a new job)", refused);
        add("lost 0 (every accepted job has its row)", lost.isEmpty(), lost.isEmpty() ? "" : "no row for " + lost);
        add("duplicated 0 (one job per submission and idempotency key)", duplicated.isEmpty() && strangers.isEmpty(),
                duplicated.isEmpty() && strangers.isEmpty() ? "" : "duplicated " + duplicated + "; rows of no submission " + strangers);
        add("every submission was accepted (retried with its key until it was)", notAccepted.isEmpty()
                && unacknowledged.isEmpty(), notAccepted.isEmpty() && unacknowledged.isEmpty() ? ""
                : "not accepted " + notAccepted + "; stored but never acknowledged " + unacknowledged);
    }

    /** Every succeeded job has exactly num_images objects; every object is an image of a known job; no key twice. */
    private void objects() throws IOException {
        Path bucket = run.stack.bucketDir();
        Set<String> objects = new HashSet<>();
        if (Files.isDirectory(bucket)) {
            try (Stream<Path> files = Files.walk(bucket)) {
                files.filter(Files::isRegularFile).forEach(file -> objects.add(bucket.relativize(file).toString()));
            }
        }
        List<String> missing = new ArrayList<>();
        List<String> wrongCount = new ArrayList<>();
        List<String> duplicateKeys = new ArrayList<>();
        Set<String> everyKey = new HashSet<>();
        for (Row row : rows.values()) {
            if (new HashSet<>(row.imageKeys()).size() != row.imageKeys().size()) {
                duplicateKeys.add(row.id() + " " + row.imageKeys());
            }
            for (String key : row.imageKeys()) {
                if (!everyKey.add(key)) {
                    duplicateKeys.add(key + " in two jobs");
                }
            }
            if ("SUCCEEDED".equals(row.status())) {
                if (row.imageKeys().size() != row.numImages()) {
                    wrongCount.add(row.id() + " has " + row.imageKeys().size() + " keys for " + row.numImages() + " images");
                }
                for (int index = 0; index < row.numImages(); index++) {
                    String key = ImageStored.keyOf(UUID.fromString(row.id()), index);
                    if (!objects.contains(key)) {
                        missing.add(key);
                    }
                }
            }
        }
        List<String> orphans = new ArrayList<>();
        int ofUnfinishedJobs = 0;
        for (String object : objects) {
            String[] parts = object.split("/");
            Row row = parts.length == 3 && ImageStored.isImageKey(object) ? rows.get(parts[1]) : null;
            if (row == null || Integer.parseInt(parts[2].replace(".png", "")) >= row.numImages()) {
                orphans.add(object);
            } else if (!"SUCCEEDED".equals(row.status())) {
                ofUnfinishedJobs++;
            }
        }
        figures.put("objects in the bucket", objects.size());
        figures.put("objects of jobs that did not succeed", ofUnfinishedJobs);
        add("every succeeded job has exactly num_images objects", missing.isEmpty() && wrongCount.isEmpty(),
                missing.isEmpty() && wrongCount.isEmpty() ? objects.size() + " objects" : "missing " + missing + "; " + wrongCount);
        add("no object without its job; no duplicate keys", orphans.isEmpty() && duplicateKeys.isEmpty(),
                orphans.isEmpty() && duplicateKeys.isEmpty() ? "" : "orphans " + orphans + "; duplicate keys " + duplicateKeys);
    }

    /** The poison job failed after the delivery limit; the jobs behind it still ran. */
    private void poison() {
        Row row = run.poison.jobId == null ? null : rows.get(run.poison.jobId);
        if (row == null) {
            add("the poison job ended failed after the delivery limit", false, "the poison job was not accepted");
            return;
        }
        boolean failedAfterLimit = "FAILED".equals(row.status()) && row.attempts() != null && row.attempts() == 3
                && row.error() != null && row.error().contains("3 attempts");
        add("the poison job ended failed after the delivery limit (3 attempts)", failedAfterLimit,
                row.id() + " " + row.status() + ", attempts " + row.attempts() + ", error: " + row.error()
                        + "; generator self-exits " + run.selfExits.get());
        Instant poisonEnd = row.finishedAt() == null ? Instant.now() : row.finishedAt();
        long behindIt = rows.values().stream().filter(r -> !r.id().equals(row.id()) && "SUCCEEDED".equals(r.status())
                && r.createdAt().isAfter(row.createdAt()) && r.finishedAt() != null && r.finishedAt().isBefore(poisonEnd)).count();
        List<Row> behind = run.submissions.stream().filter(s -> s.index >= 0 && s.jobId != null && rows.containsKey(s.jobId))
                .map(s -> rows.get(s.jobId)).filter(r -> r.createdAt().isAfter(row.createdAt())).toList();
        long behindEnded = behind.stream().filter(r -> r.finishedAt() != null).count();
        long behindSucceeded = behind.stream().filter(r -> "SUCCEEDED".equals(r.status())).count();
        // Starving would leave the jobs behind it waiting (the bound catches them): all of them must have ended, and ran.
        add("the other jobs were not starved by the poison job", !behind.isEmpty() && behindEnded == behind.size()
                        && behindSucceeded > 0,
                behindEnded + " of " + behind.size() + " jobs submitted after it ended, " + behindSucceeded
                        + " succeeded; " + behindIt + " of them succeeded while it was still being retried");
    }

    /** Every SSE client saw a terminal event, and it was the state the record ended in. */
    private void streams(List<Submission> accepted) {
        List<String> noTerminal = new ArrayList<>();
        List<String> disagree = new ArrayList<>();
        int reconnects = 0;
        for (Submission submission : accepted) {
            reconnects += submission.reconnects;
            Row row = rows.get(submission.jobId);
            if (submission.terminalEvent == null) {
                noTerminal.add(submission.jobId + " (last error " + submission.streamError + ")");
            } else if (row != null && !submission.terminalEvent.equalsIgnoreCase(row.status())) {
                disagree.add(submission.jobId + ": stream " + submission.terminalEvent + ", record " + row.status());
            }
        }
        figures.put("SSE reconnects (Last-Event-ID)", reconnects);
        add("every SSE client saw a terminal event, the record's", noTerminal.isEmpty() && disagree.isEmpty(),
                (noTerminal.isEmpty() ? "" : noTerminal.size() + " without: " + noTerminal.stream().limit(10).toList())
                        + (disagree.isEmpty() ? "" : " disagreeing: " + disagree));
    }

    /** No 5xx but 503 (with Retry-After) while a fault held or shortly after. */
    private void serverErrors() {
        Duration grace = Duration.ofSeconds(30);
        List<String> bad = new ArrayList<>();
        int documented = 0;
        int connectionErrors = 0;
        for (Answer answer : run.client.answers) {
            if (answer.status() == 0) {
                connectionErrors++;
            } else if (answer.status() >= 500) {
                boolean inAFault = run.faults.stream().anyMatch(f -> !answer.at().isBefore(f.injectedAt)
                        && !answer.at().isAfter(f.expects503Until(grace)));
                if (answer.status() == 503 && answer.retryAfter() && inAFault) {
                    documented++;
                } else {
                    bad.add(answer.at() + " " + answer.what() + " on " + answer.gateway() + ": " + answer.status()
                            + (answer.retryAfter() ? "" : " without Retry-After") + (inAFault ? "" : " outside any fault")
                            + " " + answer.detail());
                }
            }
        }
        figures.put("HTTP answers recorded", run.client.answers.size());
        figures.put("503 during outages", documented);
        figures.put("connection errors (killed/partitioned gateways)", connectionErrors);
        add("no 5xx other than documented 503s during outages", bad.isEmpty(),
                bad.isEmpty() ? documented + " documented 503s" : bad.size() + ": " + bad.stream().limit(10).toList());
    }

    /** Work done twice (attempts beyond the first): reported, not a failure; duplicates are the other check. */
    private void attempts() {
        List<Row> rerun = rows.values().stream().filter(r -> r.attempts() != null && r.attempts() > 1
                && !r.id().equals(run.poison.jobId)).toList();
        int beyond = rerun.stream().mapToInt(r -> r.attempts() - 1).sum();
        figures.put("jobs run more than once (attempts > 1, poison excluded)", rerun.size());
        figures.put("attempts beyond the first", beyond);
    }

    /** A sample of succeeded jobs (re-run ones first) served pixel-equal to bin/sd-generate. */
    private void pixels(List<Submission> accepted) {
        List<Submission> succeeded = accepted.stream().filter(s -> s != run.poison && rows.containsKey(s.jobId)
                && "SUCCEEDED".equals(rows.get(s.jobId).status())).collect(Collectors.toCollection(ArrayList::new));
        succeeded.sort(java.util.Comparator.comparingInt((Submission s) -> {
            Integer attempts = rows.get(s.jobId).attempts();
            return attempts == null ? 0 : -attempts;
        }).thenComparingInt(s -> -((Number) s.request.get("num_images")).intValue()));
        List<Submission> sample = succeeded.stream().limit(run.scenario.pixelSamples()).toList();
        List<String> differing = new ArrayList<>();
        for (Submission submission : sample) {
            try {
                List<byte[]> served = run.client.images(submission.jobId);
                List<byte[]> reference = SdGenerate.pngs(run.stack.repoRoot, submission.request,
                        run.stack.dataDir.resolve("sd-generate"));
                if (served.size() != reference.size()) {
                    differing.add(submission.jobId + ": " + served.size() + " images served, " + reference.size() + " expected");
                }
                for (int i = 0; i < Math.min(served.size(), reference.size()); i++) {
                    Pngs.assertSamePixels(Pngs.decode(reference.get(i)), Pngs.decode(served.get(i)));
                }
            } catch (AssertionError | Exception e) {
                differing.add(submission.jobId + ": " + e.getMessage());
            }
        }
        add("a sample of succeeded images equals bin/sd-generate (pixel-equal)", !sample.isEmpty() && differing.isEmpty(),
                sample.size() + " jobs: " + sample.stream().map(s -> s.jobId + " (attempts " + rows.get(s.jobId).attempts()
                        + ", " + s.request.get("num_images") + " images, " + s.request.get("scheduler") + ")").toList()
                        + (differing.isEmpty() ? "" : "; differing " + differing));
    }

    /**
     * Per fault: how long it held, then from the moment it was healed: the probe's submission accepted, the first job
     * of the run that succeeded, the probe job done.
     */
    List<String[]> recoveryRows() {
        List<String[]> table = new ArrayList<>();
        for (Fault fault : run.faults) {
            Instant healed = fault.healedAt == null ? fault.injectedAt : fault.healedAt;
            Submission probe = fault.probe;
            Duration submit = probe == null || probe.acceptedAt == null ? null : Duration.between(healed, probe.acceptedAt);
            Duration probeDone = probe == null || probe.terminalAt == null ? null : Duration.between(healed, probe.terminalAt);
            Duration finished = run.submissions.stream().filter(s -> "succeeded".equals(s.terminalEvent))
                    .map(s -> s.terminalAt).filter(t -> t != null && !t.isBefore(healed))
                    .min(Instant::compareTo).map(t -> Duration.between(healed, t)).orElse(null);
            table.add(new String[]{fault.name, fault.detail + (fault.hit.isEmpty() ? "" : "; " + fault.hit),
                    seconds(fault.outage()), seconds(submit) + (probe == null ? "" : " (" + probe.tries + " tries)"),
                    seconds(finished), seconds(probeDone) + (probe == null || probe.terminalEvent == null ? ""
                    : " " + probe.terminalEvent)});
        }
        return table;
    }

    private static String seconds(Duration duration) {
        return duration == null ? "none" : String.format("%.1f s", duration.toMillis() / 1000.0);
    }
}
