-- Clients' sign-on policies: one JSON document per client (Cedar policies over who may sign
-- in, and the assurance required), versioned on every save, like gateway applications.

CREATE TABLE sign_on_policies (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    name       TEXT NOT NULL,
    version    INTEGER NOT NULL,
    document   TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, name)
) STRICT;
