package io.texttoimage.gateway.job;

import io.smallrye.mutiny.Uni;
import io.texttoimage.gateway.auth.Caller;
import io.vertx.mutiny.sqlclient.SqlConnection;

/**
 * Whether an owner may submit one more job: asked by {@link JobStore} inside the transaction that stores the job,
 * after it has locked the owner, so that concurrent submissions of one owner on any gateway replica are counted one
 * after the other and a limit is never overshot. The rules themselves live outside the job domain (package
 * {@code quota}).
 */
public interface SubmissionQuota {

    /** Whether there is anything to enforce; when not, a submission is one auto-committed statement. */
    boolean enforced();

    /**
     * Succeeds when {@code job} (not stored yet, its {@code owner} set) stays within its caller's limits; otherwise
     * fails with the implementation's refusal, and the transaction is rolled back: nothing is stored or published.
     */
    Uni<Void> admit(SqlConnection transaction, Job job, Caller caller);
}
