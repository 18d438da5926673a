-- Owners (issue 11): every job belongs to the caller that submitted it (auth.Caller.owner()). Jobs stored before
-- owners existed, and those submitted with authentication off, belong to 'anonymous'. Adding a column with a
-- constant default rewrites no row (PostgreSQL 11+).
ALTER TABLE generated_images ADD COLUMN owner text NOT NULL DEFAULT 'anonymous';

-- The owner's list, newest first (GET /generated-images: ORDER BY created_at DESC, id DESC), its total, and the
-- quota's sliding windows (submissions in the last minute, images in the last day), which read the owner's newest
-- rows backwards from now; num_images is included so the daily sum is an index-only scan.
CREATE INDEX generated_images_owner_created_idx ON generated_images (owner, created_at DESC, id DESC)
    INCLUDE (num_images);
-- The owner's active jobs (the max-active-jobs quota): partial, so it holds only the queued and running rows.
CREATE INDEX generated_images_owner_active_idx ON generated_images (owner) WHERE status IN ('QUEUED', 'RUNNING');

-- Idempotency keys were stored with the owner '' until callers existed; they are the anonymous caller's, so a client
-- retrying across the upgrade still gets its job.
UPDATE idempotency_keys SET owner = 'anonymous' WHERE owner = '';
ALTER TABLE idempotency_keys ALTER COLUMN owner SET DEFAULT 'anonymous';
