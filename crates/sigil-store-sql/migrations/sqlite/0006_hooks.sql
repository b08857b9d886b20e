-- Event hooks: HTTPS endpoints administrators register for audit event types. Their signing
-- secrets are sealed with the key-encryption key. An audit event of a tenant with hooks is
-- also written to the outbox in the same transaction; the dispatcher turns outbox rows into
-- deliveries (one per matching hook) and sends them, recording every attempt.

CREATE TABLE hooks (
    tenant_id     TEXT NOT NULL REFERENCES tenants (id),
    id            TEXT NOT NULL,
    url           TEXT NOT NULL,
    event_types   TEXT NOT NULL,
    secret_sealed BLOB NOT NULL,
    description   TEXT,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    revision      INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (tenant_id, id)
) STRICT;

CREATE TABLE hook_outbox (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id TEXT NOT NULL,
    event     TEXT NOT NULL
) STRICT;

CREATE TABLE hook_deliveries (
    tenant_id       TEXT NOT NULL,
    id              TEXT NOT NULL,
    hook_id         TEXT NOT NULL,
    event_id        TEXT NOT NULL,
    event_type      TEXT NOT NULL,
    payload         TEXT NOT NULL,
    state           TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    leased_until    INTEGER NOT NULL DEFAULT 0,
    last_status     INTEGER,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, hook_id) REFERENCES hooks (tenant_id, id) ON DELETE CASCADE
) STRICT;
CREATE INDEX hook_deliveries_due ON hook_deliveries (state, next_attempt_at);
CREATE INDEX hook_deliveries_hook ON hook_deliveries (tenant_id, hook_id, created_at);

CREATE TABLE hook_attempts (
    tenant_id   TEXT NOT NULL,
    delivery_id TEXT NOT NULL,
    n           INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    status      INTEGER,
    error       TEXT,
    duration_ms INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, delivery_id, n),
    FOREIGN KEY (tenant_id, delivery_id) REFERENCES hook_deliveries (tenant_id, id) ON DELETE CASCADE
) STRICT;
