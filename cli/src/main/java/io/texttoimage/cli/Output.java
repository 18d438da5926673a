package io.texttoimage.cli;

import com.fasterxml.jackson.core.JsonProcessingException;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/** Human and JSON renderings shared by the commands. */
final class Output {

    /** What {@code --json} prints on standard output when a command fails. */
    record ErrorReport(String error, int exitCode, Api.Problem problem) {
    }

    private Output() {
    }

    static void printJson(PrintWriter out, Object value) {
        try {
            out.println(Api.JSON.writeValueAsString(value));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("Cannot serialise " + value.getClass().getSimpleName(), e);
        }
        out.flush();
    }

    static void printJob(PrintWriter out, Api.JobRecord job) {
        out.printf("id:        %s%n", job.id());
        out.printf("status:    %s%s%n", job.status(), Boolean.TRUE.equals(job.cancelRequested()) && !job.isTerminal()
                ? " (cancel requested)" : "");
        out.printf("prompt:    %s%n", job.prompt());
        if (job.negativePrompt() != null) {
            out.printf("negative:  %s%n", job.negativePrompt());
        }
        for (String line : truncationLines(job.promptTruncation())) {
            out.printf("note:      %s%n", line);
        }
        out.printf("settings:  %s steps, guidance %s, seed %s, %s image(s)%n",
                job.numSteps(), job.guidanceScale(), job.seed(), job.numImages());
        out.printf("size:      %s%n", size(job));
        out.printf("scheduler: %s%n", job.scheduler() != null ? job.scheduler() : modelDefault(job));
        out.printf("progress:  %s%%%s%n", job.progress() == null ? 0 : job.progress(),
                job.currentStep() != null && job.totalSteps() != null
                        ? " (step " + job.currentStep() + "/" + job.totalSteps() + ")" : "");
        if (job.error() != null) {
            out.printf("error:     %s%n", job.error());
        }
        List<String> keys = job.imageKeys();
        if (keys != null && !keys.isEmpty()) {
            out.printf("images:    %s%n", String.join(", ", keys));
        }
        out.printf("created:   %s%n", job.createdAt());
        if (job.finishedAt() != null) {
            out.printf("finished:  %s%n", job.finishedAt());
        }
        out.flush();
    }

    /**
     * One line per cut prompt: {@code prompt cut at 77 CLIP tokens (80 given); ignored: 'in the snow'}. Empty when
     * nothing was cut.
     */
    static List<String> truncationLines(Api.PromptTruncation truncation) {
        if (truncation == null) {
            return List.of();
        }
        List<String> lines = new ArrayList<>(2);
        addTruncationLine(lines, "prompt", truncation.prompt());
        addTruncationLine(lines, "negative prompt", truncation.negativePrompt());
        return lines;
    }

    private static void addTruncationLine(List<String> lines, String which, Api.TruncatedText cut) {
        if (cut != null) {
            lines.add(which + " cut at " + cut.maxTokens() + " CLIP tokens (" + cut.tokens() + " given); ignored: '"
                    + cut.droppedText() + "'");
        }
    }

    /** The human listing of saved images: each file and its signed URL (does not flush). */
    static void printImages(PrintWriter out, List<Images.SavedImage> images) {
        for (Images.SavedImage image : images) {
            out.println("saved " + image.file());
            out.println("url   " + image.url());
        }
    }

    /** Columns of {@code t2i list}: id, status, progress, created (20 characters: see {@link #shortTime}), prompt. */
    static final String SUMMARY_FORMAT = "%-36s  %-9s  %4s  %-20s  %s";

    static String summaryHeader() {
        return String.format(SUMMARY_FORMAT, "ID", "STATUS", "DONE", "CREATED", "PROMPT");
    }

    static String summaryLine(Api.JobRecord job) {
        String prompt = job.prompt() == null ? "" : job.prompt().replaceAll("\\s+", " ");
        if (prompt.length() > 50) {
            prompt = prompt.substring(0, 49) + "…";
        }
        return String.format(SUMMARY_FORMAT, job.id(), job.status(),
                (job.progress() == null ? 0 : job.progress()) + "%", shortTime(job.createdAt()), prompt);
    }

    /** Width and height as asked for, or as the worker resolved them once the job ran. */
    static String size(Api.JobRecord job) {
        if (job.width() == null && job.height() == null) {
            return modelDefault(job);
        }
        return (job.width() != null ? job.width().toString() : "model default") + "x"
                + (job.height() != null ? job.height().toString() : "model default");
    }

    /** Unset values are the model's defaults; the worker reports the real ones when it starts the job. */
    private static String modelDefault(Api.JobRecord job) {
        return "queued".equals(job.status()) ? "the model's default (known once the job starts)" : "the model's default";
    }

    /** {@code 2026-11-28T02:35:35.123456Z} as {@code 2026-11-28 02:35:35Z}: one width for every row of a listing. */
    static String shortTime(String isoInstant) {
        if (isoInstant == null) {
            return "";
        }
        try {
            return CREATED_FORMAT.format(java.time.OffsetDateTime.parse(isoInstant).toInstant());
        } catch (java.time.format.DateTimeParseException e) {
            return isoInstant;
        }
    }

    private static final java.time.format.DateTimeFormatter CREATED_FORMAT =
            java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss'Z'").withZone(java.time.ZoneOffset.UTC);

    /** Exit code for a job that reached a terminal state. */
    static int exitCodeFor(Api.JobRecord job) {
        return "succeeded".equals(job.status()) ? ExitCodes.OK : ExitCodes.JOB_FAILED;
    }
}
