-- Sigil's first schema (PostgreSQL; the same tables and columns as migrations/sqlite). Every record belongs to a tenant; the default tenant exists from
-- the start. Times are Unix seconds; digests are 32-byte SHA-256 values; lists are JSON.

CREATE TABLE tenants (
    id           TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);

INSERT INTO tenants (id, display_name, created_at) VALUES ('default', 'Sigil', extract(epoch FROM now())::bigint);

-- Bumped in the same transaction as any change to cached data (tenants, clients, keys,
-- users), so every process serving this store drops its caches within a poll interval.
CREATE TABLE change_epoch (
    id    BIGINT PRIMARY KEY CHECK (id = 1),
    epoch BIGINT NOT NULL
);
INSERT INTO change_epoch (id, epoch) VALUES (1, 0);

CREATE TABLE users (
    tenant_id           TEXT NOT NULL REFERENCES tenants (id),
    id                  TEXT NOT NULL,
    username            TEXT NOT NULL,
    username_normalized TEXT NOT NULL,
    email               TEXT,
    email_verified      BOOLEAN NOT NULL DEFAULT FALSE,
    name                TEXT,
    password_hash       TEXT,
    disabled            BOOLEAN NOT NULL DEFAULT FALSE,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, username_normalized)
);
CREATE INDEX users_email ON users (tenant_id, email);

CREATE TABLE clients (
    tenant_id                  TEXT NOT NULL REFERENCES tenants (id),
    id                         TEXT NOT NULL,
    name                       TEXT NOT NULL,
    secret_digest              BYTEA,
    auth_method                TEXT NOT NULL,
    redirect_uris              TEXT NOT NULL,
    post_logout_redirect_uris  TEXT NOT NULL,
    grant_types                TEXT NOT NULL,
    scopes                     TEXT NOT NULL,
    resources                  TEXT NOT NULL,
    jwks_uri                   TEXT,
    jwks                       TEXT,
    require_pkce               BOOLEAN NOT NULL,
    first_party                BOOLEAN NOT NULL,
    id_token_alg               TEXT NOT NULL,
    disabled                   BOOLEAN NOT NULL DEFAULT FALSE,
    created_at                 BIGINT NOT NULL,
    updated_at                 BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE signing_keys (
    tenant_id             TEXT NOT NULL REFERENCES tenants (id),
    kid                   TEXT NOT NULL,
    alg                   TEXT NOT NULL,
    encrypted_private_key BYTEA NOT NULL,
    public_jwk            TEXT NOT NULL,
    created_at            BIGINT NOT NULL,
    activates_at          BIGINT NOT NULL,
    retires_at            BIGINT,
    publish_until         BIGINT,
    PRIMARY KEY (tenant_id, kid)
);

CREATE TABLE sessions (
    tenant_id     TEXT NOT NULL,
    id            TEXT NOT NULL,
    secret_digest BYTEA NOT NULL,
    user_id       TEXT NOT NULL,
    auth_time     BIGINT NOT NULL,
    amr           TEXT NOT NULL,
    acr           TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    last_seen_at  BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    ended_at      BIGINT,
    user_agent    TEXT,
    ip            TEXT,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX sessions_secret ON sessions (tenant_id, secret_digest);
CREATE INDEX sessions_user ON sessions (tenant_id, user_id);

CREATE TABLE consents (
    tenant_id  TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    client_id  TEXT NOT NULL,
    scopes     TEXT NOT NULL,
    granted_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, user_id, client_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE token_families (
    tenant_id  TEXT NOT NULL,
    id         TEXT NOT NULL,
    client_id  TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    session_id TEXT,
    scopes     TEXT NOT NULL,
    auth_time  BIGINT NOT NULL,
    amr        TEXT NOT NULL,
    acr        TEXT NOT NULL,
    audience   TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX token_families_user_client ON token_families (tenant_id, user_id, client_id);

CREATE TABLE refresh_tokens (
    tenant_id         TEXT NOT NULL,
    digest            BYTEA NOT NULL,
    family_id         TEXT NOT NULL,
    scopes            TEXT NOT NULL,
    issued_at         BIGINT NOT NULL,
    expires_at        BIGINT NOT NULL,
    used_at           BIGINT,
    access_jti        TEXT NOT NULL,
    access_expires_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, digest),
    FOREIGN KEY (tenant_id, family_id) REFERENCES token_families (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (tenant_id, family_id);

CREATE TABLE revoked_access_tokens (
    tenant_id  TEXT NOT NULL,
    jti        TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, jti)
);
CREATE INDEX revoked_access_tokens_expiry ON revoked_access_tokens (expires_at);

CREATE TABLE artifacts (
    tenant_id   TEXT NOT NULL,
    kind        TEXT NOT NULL,
    key         BYTEA NOT NULL,
    payload     TEXT NOT NULL,
    expires_at  BIGINT NOT NULL,
    consumed_at BIGINT,
    PRIMARY KEY (tenant_id, kind, key)
);
CREATE INDEX artifacts_expiry ON artifacts (expires_at);

CREATE TABLE device_authorizations (
    tenant_id          TEXT NOT NULL,
    device_code_digest BYTEA NOT NULL,
    user_code          TEXT NOT NULL,
    client_id          TEXT NOT NULL,
    scopes             TEXT NOT NULL,
    expires_at         BIGINT NOT NULL,
    interval_secs      BIGINT NOT NULL,
    last_polled_at     BIGINT,
    status             TEXT NOT NULL,
    approval           TEXT,
    grant_id           TEXT NOT NULL,
    access_jti         TEXT NOT NULL,
    PRIMARY KEY (tenant_id, device_code_digest),
    UNIQUE (tenant_id, user_code)
);
CREATE INDEX device_authorizations_expiry ON device_authorizations (expires_at);

CREATE TABLE audit_events (
    seq       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    id        TEXT NOT NULL,
    at        BIGINT NOT NULL,
    kind      TEXT NOT NULL,
    actor     TEXT NOT NULL,
    user_id   TEXT,
    client_id TEXT,
    ip        TEXT,
    details   TEXT NOT NULL
);
CREATE INDEX audit_events_tenant ON audit_events (tenant_id, seq);
