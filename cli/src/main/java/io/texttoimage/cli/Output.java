package io.texttoimage.cli;

import com.fasterxml.jackson.core.JsonProcessingException;

import java.io.PrintWriter;
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
        out.printf("settings:  %s steps, guidance %s, %sx%s, scheduler %s, seed %s, %s image(s)%n",
                job.numSteps(), job.guidanceScale(), orDefault(job.width()), orDefault(job.height()),
                orDefault(job.scheduler()), job.seed(), job.numImages());
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

    /** The human listing of saved images: each file and its signed URL (does not flush). */
    static void printImages(PrintWriter out, List<Images.SavedImage> images) {
        for (Images.SavedImage image : images) {
            out.println("saved " + image.file());
            out.println("url   " + image.url());
        }
    }

    static String summaryLine(Api.JobRecord job) {
        String prompt = job.prompt() == null ? "" : job.prompt().replaceAll("\\s+", " ");
        if (prompt.length() > 50) {
            prompt = prompt.substring(0, 49) + "…";
        }
        return String.format("%-36s  %-9s  %3s%%  %-20s  %s", job.id(), job.status(),
                job.progress() == null ? 0 : job.progress(), job.createdAt() == null ? "" : job.createdAt(), prompt);
    }

    private static Object orDefault(Object value) {
        return value == null ? "default" : value;
    }

    /** Exit code for a job that reached a terminal state. */
    static int exitCodeFor(Api.JobRecord job) {
        return "succeeded".equals(job.status()) ? ExitCodes.OK : ExitCodes.JOB_FAILED;
    }
}
