-- Deadlines of a job, in seconds (see docs/gateway-api.md "Deadlines"): a job not started within queue_timeout_s
-- of its creation, or running longer than run_timeout_s, is failed by the gateway. Null (rows from before this
-- migration): no deadline.
ALTER TABLE generated_images ADD COLUMN queue_timeout_s integer;
ALTER TABLE generated_images ADD COLUMN run_timeout_s integer;

-- What the deadline check scans every second: only jobs still queued or running.
CREATE INDEX generated_images_active_idx ON generated_images (created_at) WHERE status IN ('QUEUED', 'RUNNING');
