package io.texttoimage.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;

/**
 * A job's progress on one line: {@code [############------------]  50%  step 10/20  running}. On a terminal the
 * line is redrawn in place; otherwise (pipes, CI logs) a line is printed on each status change and every 10 %.
 * A prompt the model's token limit cut is said once, on a line of its own above the bar, as soon as an event (or
 * else the final record) reports it. While queued the line says the job's place in line and when it should start
 * and finish ({@code queue} events); while running, the time left (the gateway's estimate on each step).
 */
public final class ProgressBar implements JobProgressListener {

    private static final int WIDTH = 30;

    private final PrintWriter out;
    private final boolean interactive;
    private String lastStatus;
    private int lastDecile = -1;
    private boolean lineOpen;
    private int lastPercent;
    private Integer lastStep;
    private Integer lastTotal;
    private boolean truncationShown;
    private Api.Queue lastQueue;
    private String lastEta = "";

    public ProgressBar(PrintWriter out, boolean interactive) {
        this.out = out;
        this.interactive = interactive;
    }

    @Override
    public void onEvent(String eventName, Api.JobEvent event) {
        showTruncation(event.promptTruncation());
        // terminal events may carry no progress: keep showing where the job got to
        int percent = event.progress() != null ? event.progress() : lastPercent;
        lastPercent = percent;
        lastStep = event.step() != null ? event.step() : lastStep;
        lastTotal = event.totalSteps() != null ? event.totalSteps() : lastTotal;
        String status = event.status() != null ? event.status() : eventName;
        Api.Queue queue = "queued".equals(status) ? (event.queue() != null ? event.queue() : lastQueue) : null;
        boolean moved = queue != null && !queue.equals(lastQueue);
        lastQueue = queue;
        if (event.estimate() != null || !status.equals(lastStatus)) {
            lastEta = eta(status, queue, event.estimate());
        }
        String line = render(percent, lastStep, lastTotal, status) + lastEta;
        if (interactive) {
            out.print("\r" + line + "\u001b[K");
            lineOpen = true;
        } else if (!status.equals(lastStatus) || percent / 10 != lastDecile || moved) {
            out.println(line);
        }
        lastStatus = status;
        lastDecile = percent / 10;
        out.flush();
    }

    @Override
    public void onFinished(Api.JobRecord job) {
        if (lineOpen) {
            out.println();
            lineOpen = false;
        }
        showTruncation(job.promptTruncation());
        out.flush();
    }

    private void showTruncation(Api.PromptTruncation truncation) {
        List<String> lines = Output.truncationLines(truncation);
        if (truncationShown || lines.isEmpty()) {
            return;
        }
        truncationShown = true;
        if (lineOpen) {
            out.print("\r\u001b[K"); // onEvent draws the bar again below the notice
            lineOpen = false;
        }
        lines.forEach(line -> out.println("warning: " + line));
    }

    /**
     * "  position 3 (2 ahead, 2 workers), starts in ~10 s, done in ~15 s" while queued; "  ~8 s left" while running;
     * nothing when not known (no step time measured yet) or once the job has ended. Durations come from the gateway's
     * {@code remaining_seconds} (and the estimate's own start and finish), not from this machine's clock.
     */
    static String eta(String status, Api.Queue queue, Api.Estimate estimate) {
        Double remaining = estimate == null ? null : estimate.remainingSeconds();
        if ("running".equals(status)) {
            return remaining == null ? "" : "  ~" + duration(remaining) + " left";
        }
        if (!"queued".equals(status)) {
            return "";
        }
        StringBuilder text = new StringBuilder();
        if (queue != null && queue.position() != null) {
            text.append("  position ").append(queue.position()).append(" (").append(queue.jobsAhead())
                    .append(" ahead, ").append(queue.liveWorkers()).append(queue.liveWorkers() != null
                            && queue.liveWorkers() == 1 ? " worker)" : " workers)");
        }
        if (remaining != null && estimate.startAt() != null && estimate.finishAt() != null) {
            double runs = java.time.Duration.between(java.time.Instant.parse(estimate.startAt()),
                    java.time.Instant.parse(estimate.finishAt())).toMillis() / 1000.0;
            text.append(", starts in ~").append(duration(Math.max(0, remaining - runs)));
        }
        if (remaining != null) {
            text.append(", done in ~").append(duration(remaining));
        } else if (text.length() > 0) {
            text.append(", no estimate yet");
        }
        return text.toString();
    }

    /** 7 s, 2 min 05 s, 1 h 03 min. */
    static String duration(double seconds) {
        long total = Math.round(Math.max(0, seconds));
        if (total < 60) {
            return total + " s";
        }
        if (total < 3600) {
            return String.format(Locale.ROOT, "%d min %02d s", total / 60, total % 60);
        }
        return String.format(Locale.ROOT, "%d h %02d min", total / 3600, total % 3600 / 60);
    }

    static String render(int percent, Integer step, Integer totalSteps, String status) {
        int clamped = Math.max(0, Math.min(100, percent));
        int filled = clamped * WIDTH / 100;
        StringBuilder line = new StringBuilder("[").append("#".repeat(filled)).append("-".repeat(WIDTH - filled))
                .append(String.format(Locale.ROOT, "] %3d%%", clamped));
        if (step != null && totalSteps != null && totalSteps > 0) {
            line.append("  step ").append(step).append('/').append(totalSteps);
        }
        return line.append("  ").append(status).toString();
    }
}
