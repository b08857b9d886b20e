-- The management API: a revision per user and client for ETag / If-Match (optimistic
-- concurrency), a sorted index for listing users page by page, and idempotency keys.

ALTER TABLE users ADD COLUMN revision INTEGER NOT NULL DEFAULT 1;
ALTER TABLE clients ADD COLUMN revision INTEGER NOT NULL DEFAULT 1;

CREATE INDEX users_created ON users (tenant_id, created_at, id);

-- One row per (tenant, caller, Idempotency-Key). `status` stays NULL while the first request
-- is in flight; `locked_until` lets a retry take over a key whose first request died with its
-- node. The request digest covers method, path and body.
CREATE TABLE idempotency_keys (
    tenant_id        TEXT NOT NULL REFERENCES tenants (id),
    caller           TEXT NOT NULL,
    key              TEXT NOT NULL,
    request_digest   BLOB NOT NULL,
    status           INTEGER,
    response_headers TEXT,
    response_body    BLOB,
    locked_until     INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    expires_at       INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, caller, key)
) STRICT;
CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);
