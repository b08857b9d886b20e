-- OpenID Connect Back-Channel and Front-Channel Logout: where each client wants to hear that
-- a session ended (one JSON document per client), and which clients each session signed its
-- user in to (an ID token carrying the session's `sid` was issued to them).

ALTER TABLE clients ADD COLUMN logout_channels TEXT NOT NULL DEFAULT '{}';

CREATE TABLE session_clients (
    tenant_id  TEXT NOT NULL,
    session_id TEXT NOT NULL,
    client_id  TEXT NOT NULL,
    joined_at  BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, session_id, client_id),
    FOREIGN KEY (tenant_id, session_id) REFERENCES sessions (tenant_id, id) ON DELETE CASCADE
);
