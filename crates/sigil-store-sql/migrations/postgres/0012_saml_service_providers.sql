-- SAML service providers Sigil is the identity provider of: one JSON document per SP (its
-- metadata, attribute mapping and settings), versioned on every save like the other
-- access documents.

CREATE TABLE saml_service_providers (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    name       TEXT NOT NULL,
    version    BIGINT NOT NULL,
    document   TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, name)
);
