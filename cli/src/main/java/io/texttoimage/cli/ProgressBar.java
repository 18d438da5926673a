package io.texttoimage.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;

/**
 * A job's progress on one line: {@code [############------------]  50%  step 10/20  running}. On a terminal the
 * line is redrawn in place; otherwise (pipes, CI logs) a line is printed on each status change and every 10 %.
 * A prompt the model's token limit cut is said once, on a line of its own above the bar, as soon as an event (or
 * else the final record) reports it.
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
        String line = render(percent, lastStep, lastTotal, status);
        if (interactive) {
            out.print("\r" + line + "\u001b[K");
            lineOpen = true;
        } else if (!status.equals(lastStatus) || percent / 10 != lastDecile) {
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
