-- Verifiable credentials: one row per credential offered to a user (issued once a wallet
-- redeems the offer), and status lists. Every issued copy of a credential has an entry at a
-- random index of a status list; the published list is built from the entries whose
-- credential is suspended or revoked.

CREATE TABLE credentials (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    id         TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    type_id    TEXT NOT NULL,
    state      TEXT NOT NULL,
    status     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    issued_at  BIGINT,
    expires_at BIGINT,
    updated_at BIGINT NOT NULL,
    copies     BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX credentials_user ON credentials (tenant_id, user_id, created_at);

CREATE TABLE status_lists (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    id         TEXT NOT NULL,
    bits       BIGINT NOT NULL,
    size       BIGINT NOT NULL,
    used       BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE credential_status_entries (
    tenant_id     TEXT NOT NULL,
    list_id       TEXT NOT NULL,
    idx           BIGINT NOT NULL,
    credential_id TEXT NOT NULL,
    PRIMARY KEY (tenant_id, list_id, idx)
);
CREATE INDEX credential_status_entries_credential
    ON credential_status_entries (tenant_id, credential_id);
