package io.texttoimage.gateway.job;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import io.texttoimage.contracts.GenerationRequested;
import io.texttoimage.contracts.PromptTruncation;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

import java.time.Instant;
import java.util.UUID;

/** A generation job: its parameters, where it stands, and the keys of its images once stored. */
@Entity
@Table(name = "generated_images")
public class Job extends PanacheEntityBase {

    @Id
    public UUID id;

    /** Who submitted it ({@code auth.Caller#owner()}): only they, and admins, see it. */
    @Column(nullable = false)
    public String owner;

    @Enumerated(EnumType.STRING)
    @Column(nullable = false)
    public JobStatus status;

    @Column(nullable = false)
    public String prompt;
    public String negativePrompt;
    public int numSteps;
    public double guidanceScale;
    public Integer width;
    public Integer height;
    public String scheduler;
    public long seed;
    public int numImages;

    public int progress;
    public int currentStep;
    public int totalSteps;
    public String error;
    /** Written only by {@link JobStore#applyRunning} (plain SQL); the ORM reads it. */
    @JdbcTypeCode(SqlTypes.JSON)
    @Column(insertable = false, updatable = false)
    public PromptTruncation promptTruncation;

    @JdbcTypeCode(SqlTypes.ARRAY)
    @Column(nullable = false)
    public String[] imageKeys = new String[0];

    public String workerId;
    /** Highest event sequence applied to this row; older or duplicate events are ignored. */
    public long lastSequence;
    /** The attempt its worker reported last, or the attempts made when it failed after the last; null until then. */
    public Integer attempts;
    public boolean cancelRequested;

    @Column(nullable = false)
    public Instant createdAt;
    public Instant startedAt;
    public Instant finishedAt;
    @Column(nullable = false)
    public Instant updatedAt;

    /** Seconds the job may wait before a generator starts it; null: no deadline (jobs from before deadlines). */
    @Column(name = "queue_timeout_s")
    public Integer queueTimeoutSeconds;
    /** Seconds the job may run; null: no deadline. */
    @Column(name = "run_timeout_s")
    public Integer runTimeoutSeconds;

    /** Where the job's webhook goes, and the events it asked for (see {@link WebhookEvent}); null without one. */
    public String webhookUrl;
    @JdbcTypeCode(SqlTypes.ARRAY)
    public String[] webhookEvents;

    /** Read with the job for its record ({@link WebhookDeliveries#of}); empty until one is enqueued. */
    @jakarta.persistence.Transient
    public java.util.List<WebhookDeliveries.Delivery> webhookDeliveries = java.util.List.of();

    /** Whether the client asked for live previews (SSE {@code preview} events); sent to the generator. */
    @Column(nullable = false)
    public Boolean previews = false;

    /** Computed when read ({@link WorkerRegistry#lost}), never stored: set while its worker is lost. */
    @jakarta.persistence.Transient
    public WorkerRegistry.WorkerLost workerLost;

    /** Computed when read ({@link QueueEstimates}), never stored: a queued job's place in line. */
    @jakarta.persistence.Transient
    public QueueEstimates.QueuePlace queue;

    /** Computed when read ({@link QueueEstimates}), never stored: when a queued or running job should end. */
    @jakarta.persistence.Transient
    public QueueEstimates.Estimate estimate;

    /** The message that hands this job to the generators. */
    public GenerationRequested toGenerationRequested() {
        return new GenerationRequested(GenerationRequested.SCHEMA_VERSION, id, prompt, negativePrompt, numSteps,
                guidanceScale, width, height, scheduler, seed, numImages, createdAt, Boolean.TRUE.equals(previews));
    }
}
