-- The management API: a revision per user and client for ETag / If-Match (optimistic
-- concurrency), sorted indexes for listing users page by page, and idempotency keys.

ALTER TABLE users ADD COLUMN revision BIGINT NOT NULL DEFAULT 1;
ALTER TABLE clients ADD COLUMN revision BIGINT NOT NULL DEFAULT 1;

-- Listing sorts usernames bytewise (as SQLite does), whatever the database's collation.
CREATE INDEX users_username_bytewise ON users (tenant_id, (username_normalized COLLATE "C"), id);
CREATE INDEX users_created ON users (tenant_id, created_at, id);

-- One row per (tenant, caller, Idempotency-Key). `status` stays NULL while the first request
-- is in flight; `locked_until` lets a retry take over a key whose first request died with its
-- node. The request digest covers method, path and body.
CREATE TABLE idempotency_keys (
    tenant_id        TEXT NOT NULL REFERENCES tenants (id),
    caller           TEXT NOT NULL,
    key              TEXT NOT NULL,
    request_digest   BYTEA NOT NULL,
    status           BIGINT,
    response_headers TEXT,
    response_body    BYTEA,
    locked_until     BIGINT NOT NULL,
    created_at       BIGINT NOT NULL,
    expires_at       BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, caller, key)
);
CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);
