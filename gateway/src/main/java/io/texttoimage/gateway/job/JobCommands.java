package io.texttoimage.gateway.job;

import io.smallrye.mutiny.Uni;
import io.texttoimage.contracts.GenerationRequested;

import java.util.UUID;

/**
 * What the job domain tells the generators: run this job, cancel that one. Delivered over the broker by
 * {@code messaging.JobPublisher}; declared here so that the job domain does not depend on the messaging code.
 */
public interface JobCommands {

    /** Hands a job to the generators; completes once the broker has taken responsibility for it. */
    Uni<Void> requestGeneration(GenerationRequested request);

    /** Tells every generator running now to skip or stop the job; completes once the broker has taken it. */
    Uni<Void> requestCancel(UUID jobId);

    /**
     * The failure of a command refused at once because the broker is known to be unreachable: the outage is logged
     * where it is noticed (once), so the refused commands need not be, one line each.
     */
    final class BrokerUnreachable extends IllegalStateException {
        public BrokerUnreachable(String message) {
            super(message);
        }
    }
}
