-- Credential types and verifiers administrators define: one JSON document each, by tenant,
-- kind (`credential_type` or `verifier`) and id.

CREATE TABLE vc_definitions (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    kind       TEXT NOT NULL,
    id         TEXT NOT NULL,
    definition TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, kind, id)
) STRICT;
