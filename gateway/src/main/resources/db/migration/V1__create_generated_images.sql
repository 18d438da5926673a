-- One row per generation job. Progress columns are written by the job-event consumer,
-- throttled (see docs/gateway-api.md); last_sequence makes those writes idempotent and order-safe.
CREATE TABLE generated_images (
    id               uuid PRIMARY KEY,
    status           varchar(16)      NOT NULL,
    prompt           text             NOT NULL,
    negative_prompt  text,
    num_steps        integer          NOT NULL,
    guidance_scale   double precision NOT NULL,
    width            integer,
    height           integer,
    scheduler        varchar(32),
    seed             bigint           NOT NULL,
    num_images       integer          NOT NULL,
    progress         integer          NOT NULL DEFAULT 0,
    current_step     integer          NOT NULL DEFAULT 0,
    total_steps      integer          NOT NULL,
    error            text,
    image_keys       text[]           NOT NULL DEFAULT '{}',
    worker_id        varchar(255),
    last_sequence    bigint           NOT NULL DEFAULT 0,
    cancel_requested boolean          NOT NULL DEFAULT false,
    created_at       timestamptz      NOT NULL,
    started_at       timestamptz,
    finished_at      timestamptz,
    updated_at       timestamptz      NOT NULL,
    CONSTRAINT generated_images_status_check
        CHECK (status IN ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'))
);

-- Listing is newest first, paginated.
CREATE INDEX generated_images_created_at_idx ON generated_images (created_at DESC, id DESC);
