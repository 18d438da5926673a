package io.texttoimage.e2e.fuzz;

import io.texttoimage.e2e.TestStacks;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The gateway under fire: its readiness ({@code /q/health/ready} on the management port) and its resident memory
 * (VmRSS of {@code /proc/<pid>/status}), sampled every few hundred requests.
 *
 * <p>Bounded means: the RSS at the end is at most {@value #GROWTH_FACTOR} × the RSS after the warm-up (the first
 * {@value #WARM_UP_FRACTION_PERCENT}% of the requests) + {@value #SLACK_MB} MB. The gateway runs with -Xmx512m, so a
 * Java heap leak shows as errors rather than RSS; this catches native and direct-buffer growth, and a heap that
 * keeps growing towards its maximum.
 */
final class GatewayWatch {
    static final double GROWTH_FACTOR = 1.5;
    static final long SLACK_MB = 100;
    static final int WARM_UP_FRACTION_PERCENT = 10;

    record Sample(int afterRequests, int readyStatus, long rssKb) {
    }

    private final HttpClient http;
    private final URI management;
    private final long pid;
    private final List<Sample> samples = new ArrayList<>();
    private Sample warm;

    GatewayWatch(HttpClient http, URI management, long pid) {
        this.http = http;
        this.management = management;
        this.pid = pid;
    }

    synchronized Sample sample(int afterRequests) {
        Sample sample = new Sample(afterRequests, readyStatus(), rssKb());
        samples.add(sample);
        return sample;
    }

    synchronized void markWarm(Sample sample) {
        warm = sample;
    }

    private int readyStatus() {
        try {
            return http.send(HttpRequest.newBuilder(management.resolve("/q/health/ready"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** VmRSS in kB; -1 where /proc is not there (not Linux) or the process is gone. */
    long rssKb() {
        return TestStacks.procStatusKb(pid, "VmRSS");
    }

    synchronized List<Sample> samples() {
        return List.copyOf(samples);
    }

    synchronized Sample first() {
        return samples.getFirst();
    }

    synchronized Sample last() {
        return samples.getLast();
    }

    synchronized Sample warm() {
        return warm == null ? samples.getFirst() : warm;
    }

    synchronized long peakKb() {
        return samples.stream().mapToLong(Sample::rssKb).max().orElse(-1);
    }

    synchronized long notReadyCount() {
        return samples.stream().filter(s -> s.readyStatus() != 200).count();
    }

    long boundKb() {
        return (long) (warm().rssKb() * GROWTH_FACTOR) + SLACK_MB * 1024;
    }

    boolean rssBounded() {
        return last().rssKb() > 0 && last().rssKb() <= boundKb();
    }
}
