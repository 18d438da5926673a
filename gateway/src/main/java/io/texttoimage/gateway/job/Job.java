package io.texttoimage.gateway.job;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
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
}
