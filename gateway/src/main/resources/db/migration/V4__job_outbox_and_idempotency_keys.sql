-- The outbox: a job is stored before it is published, and published_at records the broker's confirm. A queued row
-- without it was never confirmed (its gateway died, or the broker was down): JobOutbox republishes it. Rows from
-- before this migration were published or failed at submission.
ALTER TABLE generated_images ADD COLUMN published_at timestamptz;
UPDATE generated_images SET published_at = created_at;

-- What the outbox sweep looks for; stays tiny, as almost every row has published_at.
CREATE INDEX generated_images_unpublished_idx ON generated_images (created_at)
    WHERE published_at IS NULL AND status = 'QUEUED';

-- Idempotency-Key of POST /generated-images: one job per (owner, key) while the key is fresh. owner is '' until
-- callers are authenticated. request_hash is the SHA-256 of the parsed request, so a replay must ask for the same
-- job. The foreign key is checked at commit: key and job are inserted by one statement.
CREATE TABLE idempotency_keys (
    owner        text        NOT NULL DEFAULT '',
    key          text        NOT NULL,
    request_hash text        NOT NULL,
    job_id       uuid        NOT NULL REFERENCES generated_images (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (owner, key)
);
CREATE INDEX idempotency_keys_created_at_idx ON idempotency_keys (created_at);
