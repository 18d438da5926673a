-- Webhooks (docs/gateway-api.md, "Webhooks"). A job's callback as the request gave it: the URL and the events it asked
-- for (running, progress, completed); both null for jobs without a webhook.
ALTER TABLE generated_images ADD COLUMN webhook_url text, ADD COLUMN webhook_events text[];

-- One row per message, inserted by the same statement that records the job's state change (JobStore, through
-- job.WebhookDeliveries), so a delivery exists exactly when the change was made, whichever replica made it. The
-- relay (webhook.WebhookRelay) sends the due ones, locked FOR UPDATE SKIP LOCKED, and records each attempt here.
-- running and completed: at most one row per job; progress: the latest one (older, finished ones are deleted when
-- the next is enqueued), at most one per t2i.gateway.webhooks.progress-interval.
CREATE TABLE webhook_deliveries (
    -- the webhook-id header: the same for every attempt of one message
    message_id      uuid        PRIMARY KEY,
    job_id          uuid        NOT NULL REFERENCES generated_images (id) ON DELETE CASCADE,
    event           text        NOT NULL,
    enqueued_at     timestamptz NOT NULL,
    -- when to try next; null once delivered or given up
    next_attempt_at timestamptz,
    attempts        integer     NOT NULL DEFAULT 0,
    last_status     integer,
    last_error      text,
    last_attempt_at timestamptz,
    delivered_at    timestamptz,
    given_up_at     timestamptz,
    -- the body, fixed at the first attempt so that every retry sends the same bytes
    payload         text
);
CREATE UNIQUE INDEX webhook_deliveries_once_idx ON webhook_deliveries (job_id, event) WHERE event <> 'progress';
CREATE INDEX webhook_deliveries_job_idx ON webhook_deliveries (job_id, enqueued_at);

-- What the relay looks for: stays small, as almost every row is done.
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE next_attempt_at IS NOT NULL;
