package io.texttoimage.gateway.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.smallrye.mutiny.Uni;
import io.texttoimage.gateway.job.JobService;
import io.texttoimage.gateway.webhook.JobRecords;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.UUID;

/** The body of a webhook delivery: the job's record, read and written exactly as {@code GET} answers it. */
@ApplicationScoped
public class WebhookPayloads implements JobRecords {
    private final JobService jobs;
    private final ObjectMapper json;

    public WebhookPayloads(JobService jobs, ObjectMapper json) {
        this.jobs = jobs;
        this.json = json;
    }

    @Override
    public Uni<String> json(UUID jobId) {
        return jobs.read(jobId).map(GeneratedImageRecord::of).map(record -> {
            try {
                return json.writeValueAsString(record);
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("a job record cannot be written as JSON", e);
            }
        });
    }
}
