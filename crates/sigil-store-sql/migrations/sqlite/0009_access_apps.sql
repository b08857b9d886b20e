-- Applications behind the identity-aware gateway: one JSON document each (realms, routes,
-- Cedar policies, identity headers), by tenant and name, versioned on every save.

CREATE TABLE access_apps (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    name       TEXT NOT NULL,
    version    INTEGER NOT NULL,
    document   TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, name)
) STRICT;
