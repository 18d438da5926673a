package io.texttoimage.e2e.fuzz;

import io.texttoimage.e2e.fuzz.HttpTransport.Answer;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;

/** Counts by endpoint and status, every violation (the first ones with their request as a shell line), figures. */
final class FuzzReport {
    record Recorded(FuzzRequest request, Answer answer, Oracle.Violation violation) {
    }

    private final URI base;
    private final int maxShown;
    private final Map<String, Map<Integer, Integer>> byEndpoint = new TreeMap<>();
    private final Map<String, Integer> violationsByKind = new TreeMap<>();
    private final List<Recorded> shown = new ArrayList<>();
    private final AtomicInteger requests = new AtomicInteger();
    private final List<String> notes = new ArrayList<>();
    private int fiveHundreds;
    private int closedWithoutAnswer;
    private int codecRejections;
    private long slowestMillis;
    private String slowest = "";

    FuzzReport(URI base, int maxShown) {
        this.base = base;
        this.maxShown = maxShown;
    }

    synchronized void add(FuzzRequest request, Answer answer, List<Oracle.Violation> violations) {
        requests.incrementAndGet();
        byEndpoint.computeIfAbsent(request.endpoint(), k -> new TreeMap<>()).merge(answer.status(), 1, Integer::sum);
        if (answer.status() >= 500) {
            fiveHundreds++;
        }
        if (answer.status() < 0) {
            closedWithoutAnswer++;
        }
        if (Oracle.codecRejection(request, answer)) {
            codecRejections++;
        }
        if (answer.millis() > slowestMillis) {
            slowestMillis = answer.millis();
            slowest = request.endpoint() + " #" + request.index();
        }
        for (Oracle.Violation violation : violations) {
            addViolation(new Recorded(request, answer, violation));
        }
    }

    synchronized void addViolation(Recorded recorded) {
        violationsByKind.merge(recorded.violation().kind(), 1, Integer::sum);
        if (shown.size() < maxShown) {
            shown.add(recorded);
        }
    }

    synchronized void note(String note) {
        notes.add(note);
    }

    int requests() {
        return requests.get();
    }

    synchronized int fiveHundreds() {
        return fiveHundreds;
    }

    synchronized int violations(String kind) {
        return violationsByKind.getOrDefault(kind, 0);
    }

    synchronized int violations() {
        return violationsByKind.values().stream().mapToInt(Integer::intValue).sum();
    }

    synchronized String text(long seed, GatewayWatch watch, Credentials credentials, long millis, String machine) {
        StringBuilder out = new StringBuilder();
        out.append("fuzz: seed ").append(seed).append(", ").append(requests()).append(" requests in ")
                .append(String.format("%.1f s", millis / 1000.0)).append('\n');
        out.append("by endpoint (status: count; -1 = connection closed without an answer):\n");
        byEndpoint.forEach((endpoint, statuses) -> out.append(String.format("  %-44s %6d  %s%n", endpoint,
                statuses.values().stream().mapToInt(Integer::intValue).sum(), statuses)));
        out.append("5xx: ").append(fiveHundreds).append('\n');
        out.append("problem+json violations: ").append(violations("not problem+json")).append('\n');
        out.append("bad 2xx bodies: ").append(violations("bad 2xx body")).append('\n');
        out.append("no answer to a well-formed request: ").append(violations("no answer"))
                .append(" (closed without an answer, malformed framing included: ").append(closedWithoutAnswer)
                .append(")\n");
        out.append("malformed HTTP framing refused by the HTTP decoder (bare 400/414/431, exempt): ")
                .append(codecRejections).append('\n');
        out.append("credential echoed: ").append(violations("credential echoed")).append('\n');
        out.append("auth violations: ").append(credentials.authEnabled ? violations("auth")
                : "n/a (no authentication)").append('\n');
        out.append("cross-owner leaks: ").append(credentials.ownersDistinct()
                ? Integer.toString(violations("cross-owner leak") + violations("sentinel changed"))
                : "not checked: " + credentials.skipReason).append('\n');
        out.append(String.format("gateway RSS: start %d MB, after warm-up %d MB, peak %d MB, end %d MB (bound %d MB"
                        + " = %.1f x warm-up + %d MB): %s%n", watch.first().rssKb() / 1024, watch.warm().rssKb() / 1024,
                watch.peakKb() / 1024, watch.last().rssKb() / 1024, watch.boundKb() / 1024, GatewayWatch.GROWTH_FACTOR,
                GatewayWatch.SLACK_MB, watch.rssBounded() ? "bounded" : "NOT bounded"));
        out.append("readiness: ").append(watch.samples().size()).append(" samples, ").append(watch.notReadyCount())
                .append(" not ready; at the end ").append(watch.last().readyStatus()).append('\n');
        out.append("slowest answer: ").append(slowestMillis).append(" ms (").append(slowest).append(")\n");
        out.append("machine: ").append(machine).append('\n');
        notes.forEach(note -> out.append("note: ").append(note).append('\n'));
        if (!violationsByKind.isEmpty()) {
            out.append("violations by kind: ").append(violationsByKind).append('\n');
            out.append("first ").append(shown.size()).append(" violations (rerun: -Dt2i.fuzz.seed=").append(seed)
                    .append("):\n");
            for (Recorded recorded : shown) {
                out.append("  #").append(recorded.request().index()).append(' ').append(recorded.request().endpoint())
                        .append(" [").append(recorded.request().credential()).append("] ")
                        .append(recorded.violation().kind()).append(": ").append(recorded.violation().message())
                        .append("\n    ").append(recorded.request().reproduce(base)).append('\n');
            }
        }
        return out.toString();
    }
}
