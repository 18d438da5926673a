-- Queue position and estimates (docs/gateway-api.md, "Queue position and estimate"): each replica reads the queued
-- jobs in FIFO order at most once a second. Partial and covering, so that read is an index-only scan of the queued
-- rows alone, whatever the size of the table.
CREATE INDEX generated_images_queue_idx ON generated_images (created_at, id)
    INCLUDE (width, height, num_steps, num_images) WHERE status = 'QUEUED';
-- The running jobs (what the workers are busy with), without scanning the queued rows of the active index.
CREATE INDEX generated_images_running_idx ON generated_images (worker_id) WHERE status = 'RUNNING';
