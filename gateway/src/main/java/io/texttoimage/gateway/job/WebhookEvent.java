package io.texttoimage.gateway.job;

import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/** What a job's webhook can be called for (the request's {@code webhook.events}). */
public enum WebhookEvent {
    /** A generator started the job (once per job, on its first RUNNING). */
    RUNNING,
    /** The job advanced; throttled to one per {@code t2i.gateway.webhooks.progress-interval}, never retried. */
    PROGRESS,
    /** The job ended: succeeded, failed or cancelled. */
    COMPLETED;

    /** What a request gets when it names no events. */
    public static final List<WebhookEvent> DEFAULT = List.of(COMPLETED);

    /** The names a request may use, for messages: "running, progress, completed". */
    public static final String NAMES_TEXT = Arrays.stream(values()).map(WebhookEvent::apiName)
            .collect(Collectors.joining(", "));

    public String apiName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<WebhookEvent> fromApiName(String name) {
        return Arrays.stream(values()).filter(event -> event.apiName().equals(name)).findFirst();
    }

    /** The events as stored: each once, in this enum's order (names already checked, see {@link #fromApiName}). */
    public static String[] stored(Collection<String> requested) {
        if (requested == null) {
            return DEFAULT.stream().map(WebhookEvent::apiName).toArray(String[]::new);
        }
        return Arrays.stream(values()).map(WebhookEvent::apiName).filter(requested::contains).toArray(String[]::new);
    }
}
