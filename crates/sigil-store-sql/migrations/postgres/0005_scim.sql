-- SCIM provisioning: the identifier a provisioning client knows a user or group by
-- (`externalId`), the profile attributes beyond the core columns (SCIM JSON: name parts,
-- phone numbers, addresses, the enterprise extension, every e-mail address), indexes for the
-- filters provisioning clients send, and the static bearer tokens of HR systems.

ALTER TABLE users ADD COLUMN external_id TEXT;
ALTER TABLE users ADD COLUMN attributes TEXT NOT NULL DEFAULT '{}';
CREATE INDEX users_external_id ON users (tenant_id, external_id);
-- E-mail address and display name lower-cased by Sigil (Unicode-aware, the same on both
-- stores), for filters that ignore case.
ALTER TABLE users ADD COLUMN email_lower TEXT;
ALTER TABLE users ADD COLUMN name_lower TEXT;
UPDATE users SET email_lower = lower(email), name_lower = lower(name);
CREATE INDEX users_email_lower ON users (tenant_id, email_lower);
CREATE INDEX users_name_lower ON users (tenant_id, name_lower);

ALTER TABLE user_groups ADD COLUMN external_id TEXT;
CREATE INDEX user_groups_external_id ON user_groups (tenant_id, external_id);

-- Only the SHA-256 digest of a provisioning token is kept.
CREATE TABLE provisioning_tokens (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    id         TEXT NOT NULL,
    name       TEXT NOT NULL,
    digest     BYTEA NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
