package io.texttoimage.gateway.job;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Records the broker's publisher confirms on the jobs' rows ({@code published_at}, the outbox's "sent" mark), many
 * jobs per statement: one UPDATE runs at a time and the confirms that arrive meanwhile go into the next, so under
 * load the database sees a fraction of a statement per submission, and with no load a confirm is written at once.
 *
 * <p>A submission does not wait for its record. A confirm that is never recorded (the gateway died first, PostgreSQL
 * refused the write) only means that {@code JobOutboxRelay} republishes the job once it is older than twice the
 * publish timeout, and consumers dedupe by job id: the outbox's at-least-once, as for a gateway that dies between
 * the confirm and any write.
 */
@ApplicationScoped
public class PublishConfirmations {
    private static final Logger LOG = Logger.getLogger(PublishConfirmations.class);
    /** How long a stopping gateway waits for the confirms it has not written yet. */
    private static final Duration FLUSH_AT_SHUTDOWN = Duration.ofSeconds(2);

    private final JobStore store;
    private final Timer writeTime;
    private final DistributionSummary jobsPerWrite;
    private final Object lock = new Object();
    private List<UUID> pending = new ArrayList<>();
    private boolean writing;
    private long unrecordedInARow;

    public PublishConfirmations(JobStore store, MeterRegistry registry) {
        this.store = store;
        this.writeTime = registry.timer("t2i.gateway.db.mark-published");
        this.jobsPerWrite = registry.summary("t2i.gateway.db.mark-published.jobs");
    }

    /** The broker confirmed {@code jobId}'s message: its row will say so, with the next write. */
    public void record(UUID jobId) {
        synchronized (lock) {
            pending.add(jobId);
            if (writing) {
                return; // the write in flight starts the next one when it ends
            }
            writing = true;
        }
        writeNext();
    }

    private void writeNext() {
        List<UUID> batch;
        synchronized (lock) {
            if (pending.isEmpty()) {
                writing = false;
                lock.notifyAll(); // a shutdown waiting in flush
                return;
            }
            batch = pending;
            pending = new ArrayList<>();
        }
        long start = System.nanoTime();
        store.markPublished(batch).subscribe().with(written -> {
            writeTime.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
            jobsPerWrite.record(batch.size());
            recovered();
            writeNext();
        }, failure -> {
            failed(batch.size(), failure);
            writeNext();
        });
    }

    /**
     * A stopping gateway (a rollout, a scale-in) writes what it holds first, so that the relay does not republish
     * the last jobs it submitted (a generator would run them twice). Before the pool closes: Quarkus fires
     * ShutdownEvent before its shutdown tasks.
     */
    void flush(@Observes ShutdownEvent event) throws InterruptedException {
        long deadline = System.nanoTime() + FLUSH_AT_SHUTDOWN.toNanos();
        synchronized (lock) {
            while ((writing || !pending.isEmpty()) && System.nanoTime() < deadline) {
                lock.wait(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
            }
        }
    }

    /** One WARN per run of failures (a PostgreSQL outage fails every write), one INFO with the count at the end. */
    private void failed(int jobs, Throwable failure) {
        boolean first;
        synchronized (lock) {
            first = unrecordedInARow == 0;
            unrecordedInARow += jobs;
        }
        if (first) {
            LOG.warnf("Confirmed jobs cannot be recorded as published (%s); the outbox will publish them again",
                    failure.getMessage());
        }
    }

    private void recovered() {
        long unrecorded;
        synchronized (lock) {
            unrecorded = unrecordedInARow;
            unrecordedInARow = 0;
        }
        if (unrecorded > 0) {
            LOG.infof("Confirmed jobs are recorded as published again; %d were not, and the outbox publishes them "
                    + "again", unrecorded);
        }
    }
}
