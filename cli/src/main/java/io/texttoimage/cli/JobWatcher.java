package io.texttoimage.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Set;

/**
 * Follows a job's SSE stream until it ends in a terminal state, reconnecting with {@code Last-Event-ID} when the
 * connection drops, then returns the job's final record.
 */
public final class JobWatcher {

    private static final Set<String> SKIPPED_EVENTS = Set.of("heartbeat");
    private static final int MAX_RECONNECTS = 5;
    /** How long finish() waits for the stored record to catch up with the terminal event: 50 × 200 ms. */
    private static final int RECORD_SETTLE_ATTEMPTS = 50;
    private static final long RECORD_SETTLE_PAUSE_MILLIS = 200;
    private static final long DEFAULT_RETRY_MILLIS = 1000;
    private static final long MAX_RETRY_MILLIS = 10_000;

    /** SSE event name of a live preview: no job event, no id; handed to {@link JobProgressListener#onPreview}. */
    static final String PREVIEW_EVENT = "preview";

    private final GatewayClient client;

    /** Preview events (only jobs submitted with previews have them) go to {@link JobProgressListener#onPreview}. */
    public JobWatcher(GatewayClient client) {
        this.client = client;
    }

    public Api.JobRecord watch(String id, JobProgressListener listener) {
        String lastEventId = null;
        int failures = 0;
        while (true) {
            SseReader reader = null;
            long retryMillis = DEFAULT_RETRY_MILLIS;
            try (InputStream stream = client.openEvents(id, lastEventId)) {
                reader = new SseReader(stream);
                SseReader.Event event;
                while ((event = reader.next()) != null) {
                    lastEventId = reader.lastEventId();
                    failures = 0;
                    if (SKIPPED_EVENTS.contains(event.name())) {
                        continue;
                    }
                    if (PREVIEW_EVENT.equals(event.name())) {
                        listener.onPreview(parse(event, Api.Preview.class));
                        continue;
                    }
                    Api.JobEvent data = parse(event, Api.JobEvent.class);
                    listener.onEvent(event.name(), data);
                    if (Api.TERMINAL_STATUSES.contains(event.name())
                            || (data.status() != null && Api.TERMINAL_STATUSES.contains(data.status()))) {
                        return finish(id, listener);
                    }
                }
                if (reader.retryMillis() != null) {
                    retryMillis = Math.min(MAX_RETRY_MILLIS, reader.retryMillis());
                }
            } catch (IOException e) {
                // connection lost mid-stream: fall through and reconnect
            } catch (CliException e) {
                if (e.exitCode() != ExitCodes.UNREACHABLE) {
                    throw e; // 404 and the like will not get better by retrying
                }
            }
            // The stream ended without a terminal event: the job may have finished meanwhile.
            Api.JobRecord current = client.get(id);
            if (current.isTerminal()) {
                return finish(id, listener);
            }
            if (++failures > MAX_RECONNECTS) {
                throw new CliException(ExitCodes.UNREACHABLE, "The event stream of job " + id + " keeps closing before the"
                        + " job ends: check the gateway, then run `t2i watch " + id + "` again.");
            }
            sleep(retryMillis);
        }
    }

    private Api.JobRecord finish(String id, JobProgressListener listener) {
        // The gateway streams an event before its (throttled) database writer has stored it, so the record can
        // lag the terminal event by a moment: read until the record says the job ended too.
        Api.JobRecord job = client.get(id);
        for (int attempt = 0; !job.isTerminal() && attempt < RECORD_SETTLE_ATTEMPTS; attempt++) {
            sleep(RECORD_SETTLE_PAUSE_MILLIS);
            job = client.get(id);
        }
        listener.onFinished(job);
        return job;
    }

    private static <T> T parse(SseReader.Event event, Class<T> type) {
        try {
            return Api.JSON.readValue(event.data(), type);
        } catch (IOException e) {
            throw new CliException(ExitCodes.UNREACHABLE, "The gateway sent an event t2i cannot read (" + event.name()
                    + ": " + event.data() + "): check that --url points at a text-to-image gateway.", null, e);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException(ExitCodes.UNREACHABLE, "Interrupted while waiting for the job");
        }
    }
}
