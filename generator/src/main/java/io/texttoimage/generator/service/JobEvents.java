package io.texttoimage.generator.service;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.AMQP;
import io.texttoimage.contracts.JobEvent;
import io.texttoimage.contracts.JobEventType;
import io.texttoimage.contracts.JobPreview;
import io.texttoimage.contracts.PromptTruncation;
import io.texttoimage.pipeline.PromptLengths;
import io.texttoimage.pipeline.tokenizer.PromptTokens;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * The events of one attempt at one job, with a strictly increasing {@code sequence}. A first delivery counts from 1;
 * a redelivered job (its previous worker died or shut down) starts at {@code epoch millis × 1000}, above anything the
 * earlier attempt can have sent, so consumers that drop older sequences keep the new attempt's events.
 */
final class JobEvents {
    private static final AMQP.BasicProperties PERSISTENT_JSON = new AMQP.BasicProperties.Builder()
            .contentType("application/json").deliveryMode(2).build();
    /** A preview is only worth anything while the job runs: never written to the broker's disk. */
    private static final AMQP.BasicProperties TRANSIENT_JSON = new AMQP.BasicProperties.Builder()
            .contentType("application/json").deliveryMode(1).build();

    private final ConfirmedPublisher publisher;
    private final ObjectMapper json;
    private final String exchange;
    private final UUID jobId;
    private final String workerId;
    private final int attempt;
    private long sequence;

    JobEvents(ConfirmedPublisher publisher, ObjectMapper json, String exchange, UUID jobId, String workerId,
              boolean redelivered, int attempt) {
        this.publisher = publisher;
        this.json = json;
        this.exchange = exchange;
        this.jobId = jobId;
        this.workerId = workerId;
        this.attempt = attempt;
        // A later attempt may be a re-published copy (no redelivered flag on it): it counts as a redelivery too.
        this.sequence = redelivered || attempt > 1 ? System.currentTimeMillis() * 1000 : 0;
    }

    void running(int totalSteps, int width, int height, String scheduler, PromptTruncation truncation)
            throws IOException {
        send(JobEventType.RUNNING, 0, totalSteps, null, null, width, height, scheduler, truncation);
    }

    /** The RUNNING payload of what the token limit cut off, or null when both prompts fitted. */
    static PromptTruncation truncationOf(PromptLengths lengths) {
        if (!lengths.truncated()) {
            return null;
        }
        return new PromptTruncation(truncatedText(lengths.prompt()), truncatedText(lengths.negativePrompt()));
    }

    private static PromptTruncation.TruncatedText truncatedText(PromptTokens tokens) {
        return tokens == null || !tokens.truncated() ? null
                : new PromptTruncation.TruncatedText(tokens.tokens(), tokens.maxTokens(), tokens.droppedText());
    }

    void progress(int step, int totalSteps) throws IOException {
        send(JobEventType.PROGRESS, step, totalSteps, null, null, null, null, null, null);
    }

    void succeeded(int totalSteps, List<String> imageKeys) throws IOException {
        send(JobEventType.SUCCEEDED, totalSteps, totalSteps, imageKeys, null, null, null, null, null);
    }

    void failed(int step, int totalSteps, String reason) throws IOException {
        send(JobEventType.FAILED, step, totalSteps, null, reason, null, null, null, null);
    }

    void cancelled(int step, int totalSteps) throws IOException {
        send(JobEventType.CANCELLED, step, totalSteps, null, null, null, null, null, null);
    }

    /**
     * A live preview, to the gateways' live queues only ({@link JobPreview#ROUTING_KEY}); it takes no sequence, as it
     * does not change the job's state.
     *
     * @return the bytes published
     */
    int preview(int step, int totalSteps, int width, int height, byte[] png) throws IOException {
        JobPreview preview = new JobPreview(JobPreview.SCHEMA_VERSION, jobId, step, totalSteps, width, height,
                JobPreview.PNG, png, attempt, Instant.now());
        byte[] body;
        try {
            body = json.writeValueAsBytes(preview);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
        publisher.publish(exchange, JobPreview.ROUTING_KEY, TRANSIENT_JSON, body);
        return body.length;
    }

    private void send(JobEventType type, int step, int totalSteps, List<String> keys, String error,
                      Integer width, Integer height, String scheduler, PromptTruncation truncation)
            throws IOException {
        JobEvent event = new JobEvent(JobEvent.SCHEMA_VERSION, jobId, type, ++sequence, step, totalSteps, workerId,
                keys, error, width, height, scheduler, Instant.now(), truncation, attempt);
        byte[] body;
        try {
            body = json.writeValueAsBytes(event);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
        publisher.publish(exchange, event.routingKey(), PERSISTENT_JSON, body);
    }
}
