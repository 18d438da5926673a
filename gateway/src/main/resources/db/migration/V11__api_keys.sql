-- API keys (issue 11, auth package): only an HMAC-SHA-256 of each key under the server secret is stored, never the
-- key itself. A key's limits override the configured quotas where set (null: the default applies).
CREATE TABLE api_keys (
    id                     uuid        PRIMARY KEY,
    name                   text        NOT NULL,
    owner                  text        NOT NULL,
    admin                  boolean     NOT NULL DEFAULT false,
    key_hash               bytea       NOT NULL UNIQUE,
    created_at             timestamptz NOT NULL,
    last_used_at           timestamptz,
    expires_at             timestamptz,
    revoked_at             timestamptz,
    max_active_jobs        int         CHECK (max_active_jobs > 0),
    submissions_per_minute int         CHECK (submissions_per_minute > 0),
    images_per_day         int         CHECK (images_per_day > 0)
);

-- GET /admin/api-keys lists newest first.
CREATE INDEX api_keys_created_at ON api_keys (created_at DESC);
