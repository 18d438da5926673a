package io.texttoimage.gateway.job;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.util.List;

/**
 * The {@code webhook} of a submission: where to POST the job's record when one of {@code events} happens. Checked
 * by {@code webhook.WebhookTargets} before the job is stored (URL form, events, and the address it resolves to).
 */
@Schema(name = "WebhookRequest", description = "Call this URL back when the job starts, progresses or ends",
        additionalProperties = Schema.False.class)
public record WebhookRequest(
        @Schema(required = true, description = "absolute http or https URL; it must not resolve to a loopback, "
                + "private, link-local (metadata) or other internal address unless the server allows it",
                maxLength = WebhookRequest.MAX_URL_LENGTH, examples = "https://example.com/hooks/t2i")
        String url,

        @Schema(description = "any of running, progress, completed (succeeded, failed or cancelled); "
                + "default [\"completed\"]", defaultValue = "[\"completed\"]")
        List<String> events) {

    public static final int MAX_URL_LENGTH = 2048;
}
