-- External identity providers (one JSON document per provider, versioned on every save, like
-- gateway applications) and the links from their subjects to local users. A link goes with
-- its user and with its provider, so a provider added again under the same name starts with
-- no links.

CREATE TABLE identity_providers (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    name       TEXT NOT NULL,
    version    BIGINT NOT NULL,
    document   TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, name)
);

CREATE TABLE external_identities (
    tenant_id  TEXT NOT NULL,
    provider   TEXT NOT NULL,
    subject    TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, provider, subject),
    FOREIGN KEY (tenant_id, provider) REFERENCES identity_providers (tenant_id, name) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX external_identities_user ON external_identities (tenant_id, user_id);
