-- Applications behind the identity-aware gateway: one JSON document each (realms, routes,
-- Cedar policies, identity headers), by tenant and name, versioned on every save.

CREATE TABLE access_apps (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    name       TEXT NOT NULL,
    version    BIGINT NOT NULL,
    document   TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, name)
);
