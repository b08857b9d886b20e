-- Sigil's first schema. Every record belongs to a tenant; the default tenant exists from
-- the start. Times are Unix seconds; digests are 32-byte SHA-256 values; lists are JSON.

CREATE TABLE tenants (
    id           TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    created_at   INTEGER NOT NULL
) STRICT;

INSERT INTO tenants (id, display_name, created_at) VALUES ('default', 'Sigil', unixepoch());

-- Bumped in the same transaction as any change to cached data (tenants, clients, keys,
-- users), so every process serving this store drops its caches within a poll interval.
CREATE TABLE change_epoch (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    epoch INTEGER NOT NULL
) STRICT;
INSERT INTO change_epoch (id, epoch) VALUES (1, 0);

CREATE TABLE users (
    tenant_id           TEXT NOT NULL REFERENCES tenants (id),
    id                  TEXT NOT NULL,
    username            TEXT NOT NULL,
    username_normalized TEXT NOT NULL,
    email               TEXT,
    email_verified      INTEGER NOT NULL DEFAULT 0,
    name                TEXT,
    password_hash       TEXT,
    disabled            INTEGER NOT NULL DEFAULT 0,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, username_normalized)
) STRICT;
CREATE INDEX users_email ON users (tenant_id, email);

CREATE TABLE clients (
    tenant_id                  TEXT NOT NULL REFERENCES tenants (id),
    id                         TEXT NOT NULL,
    name                       TEXT NOT NULL,
    secret_digest              BLOB,
    auth_method                TEXT NOT NULL,
    redirect_uris              TEXT NOT NULL,
    post_logout_redirect_uris  TEXT NOT NULL,
    grant_types                TEXT NOT NULL,
    scopes                     TEXT NOT NULL,
    resources                  TEXT NOT NULL,
    jwks_uri                   TEXT,
    jwks                       TEXT,
    require_pkce               INTEGER NOT NULL,
    first_party                INTEGER NOT NULL,
    id_token_alg               TEXT NOT NULL,
    disabled                   INTEGER NOT NULL DEFAULT 0,
    created_at                 INTEGER NOT NULL,
    updated_at                 INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
) STRICT;

CREATE TABLE signing_keys (
    tenant_id             TEXT NOT NULL REFERENCES tenants (id),
    kid                   TEXT NOT NULL,
    alg                   TEXT NOT NULL,
    encrypted_private_key BLOB NOT NULL,
    public_jwk            TEXT NOT NULL,
    created_at            INTEGER NOT NULL,
    activates_at          INTEGER NOT NULL,
    retires_at            INTEGER,
    publish_until         INTEGER,
    PRIMARY KEY (tenant_id, kid)
) STRICT;

CREATE TABLE sessions (
    tenant_id     TEXT NOT NULL,
    id            TEXT NOT NULL,
    secret_digest BLOB NOT NULL,
    user_id       TEXT NOT NULL,
    auth_time     INTEGER NOT NULL,
    amr           TEXT NOT NULL,
    acr           TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    ended_at      INTEGER,
    user_agent    TEXT,
    ip            TEXT,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
) STRICT;
CREATE UNIQUE INDEX sessions_secret ON sessions (tenant_id, secret_digest);
CREATE INDEX sessions_user ON sessions (tenant_id, user_id);

CREATE TABLE consents (
    tenant_id  TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    client_id  TEXT NOT NULL,
    scopes     TEXT NOT NULL,
    granted_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, user_id, client_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
) STRICT;

CREATE TABLE token_families (
    tenant_id  TEXT NOT NULL,
    id         TEXT NOT NULL,
    client_id  TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    session_id TEXT,
    scopes     TEXT NOT NULL,
    auth_time  INTEGER NOT NULL,
    amr        TEXT NOT NULL,
    acr        TEXT NOT NULL,
    audience   TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER,
    PRIMARY KEY (tenant_id, id)
) STRICT;
CREATE INDEX token_families_user_client ON token_families (tenant_id, user_id, client_id);

CREATE TABLE refresh_tokens (
    tenant_id         TEXT NOT NULL,
    digest            BLOB NOT NULL,
    family_id         TEXT NOT NULL,
    scopes            TEXT NOT NULL,
    issued_at         INTEGER NOT NULL,
    expires_at        INTEGER NOT NULL,
    used_at           INTEGER,
    access_jti        TEXT NOT NULL,
    access_expires_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, digest),
    FOREIGN KEY (tenant_id, family_id) REFERENCES token_families (tenant_id, id) ON DELETE CASCADE
) STRICT;
CREATE INDEX refresh_tokens_family ON refresh_tokens (tenant_id, family_id);

CREATE TABLE revoked_access_tokens (
    tenant_id  TEXT NOT NULL,
    jti        TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, jti)
) STRICT;
CREATE INDEX revoked_access_tokens_expiry ON revoked_access_tokens (expires_at);

CREATE TABLE artifacts (
    tenant_id   TEXT NOT NULL,
    kind        TEXT NOT NULL,
    key         BLOB NOT NULL,
    payload     TEXT NOT NULL,
    expires_at  INTEGER NOT NULL,
    consumed_at INTEGER,
    PRIMARY KEY (tenant_id, kind, key)
) STRICT;
CREATE INDEX artifacts_expiry ON artifacts (expires_at);

CREATE TABLE device_authorizations (
    tenant_id          TEXT NOT NULL,
    device_code_digest BLOB NOT NULL,
    user_code          TEXT NOT NULL,
    client_id          TEXT NOT NULL,
    scopes             TEXT NOT NULL,
    expires_at         INTEGER NOT NULL,
    interval_secs      INTEGER NOT NULL,
    last_polled_at     INTEGER,
    status             TEXT NOT NULL,
    approval           TEXT,
    grant_id           TEXT NOT NULL,
    access_jti         TEXT NOT NULL,
    PRIMARY KEY (tenant_id, device_code_digest),
    UNIQUE (tenant_id, user_code)
) STRICT;
CREATE INDEX device_authorizations_expiry ON device_authorizations (expires_at);

CREATE TABLE audit_events (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id TEXT NOT NULL,
    id        TEXT NOT NULL,
    at        INTEGER NOT NULL,
    kind      TEXT NOT NULL,
    actor     TEXT NOT NULL,
    user_id   TEXT,
    client_id TEXT,
    ip        TEXT,
    details   TEXT NOT NULL
) STRICT;
CREATE INDEX audit_events_tenant ON audit_events (tenant_id, seq);
