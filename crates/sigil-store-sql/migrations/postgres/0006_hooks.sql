-- Event hooks: HTTPS endpoints administrators register for audit event types. Their signing
-- secrets are sealed with the key-encryption key. An audit event of a tenant with hooks is
-- also written to the outbox in the same transaction; the dispatcher turns outbox rows into
-- deliveries (one per matching hook) and sends them, recording every attempt.

CREATE TABLE hooks (
    tenant_id     TEXT NOT NULL REFERENCES tenants (id),
    id            TEXT NOT NULL,
    url           TEXT NOT NULL,
    event_types   TEXT NOT NULL,
    secret_sealed BYTEA NOT NULL,
    description   TEXT,
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    revision      BIGINT NOT NULL DEFAULT 1,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE hook_outbox (
    seq       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    event     TEXT NOT NULL
);

CREATE TABLE hook_deliveries (
    tenant_id       TEXT NOT NULL,
    id              TEXT NOT NULL,
    hook_id         TEXT NOT NULL,
    event_id        TEXT NOT NULL,
    event_type      TEXT NOT NULL,
    payload         TEXT NOT NULL,
    state           TEXT NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    leased_until    BIGINT NOT NULL DEFAULT 0,
    last_status     BIGINT,
    last_error      TEXT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, hook_id) REFERENCES hooks (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX hook_deliveries_due ON hook_deliveries (state, next_attempt_at);
CREATE INDEX hook_deliveries_hook ON hook_deliveries (tenant_id, hook_id, created_at);

CREATE TABLE hook_attempts (
    tenant_id   TEXT NOT NULL,
    delivery_id TEXT NOT NULL,
    n           BIGINT NOT NULL,
    at          BIGINT NOT NULL,
    status      BIGINT,
    error       TEXT,
    duration_ms BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, delivery_id, n),
    FOREIGN KEY (tenant_id, delivery_id) REFERENCES hook_deliveries (tenant_id, id) ON DELETE CASCADE
);
