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
    created_at INTEGER NOT NULL,
    issued_at  INTEGER,
    expires_at INTEGER,
    updated_at INTEGER NOT NULL,
    copies     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, id)
) STRICT;
CREATE INDEX credentials_user ON credentials (tenant_id, user_id, created_at);

CREATE TABLE status_lists (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    id         TEXT NOT NULL,
    bits       INTEGER NOT NULL,
    size       INTEGER NOT NULL,
    used       INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
) STRICT;

CREATE TABLE credential_status_entries (
    tenant_id     TEXT NOT NULL,
    list_id       TEXT NOT NULL,
    idx           INTEGER NOT NULL,
    credential_id TEXT NOT NULL,
    PRIMARY KEY (tenant_id, list_id, idx)
) STRICT;
CREATE INDEX credential_status_entries_credential
    ON credential_status_entries (tenant_id, credential_id);
