-- Audit events say more about the request (user agent, request id) and whether what they
-- record succeeded; the management API filters them by user, client and kind, newest first.

ALTER TABLE audit_events ADD COLUMN user_agent TEXT;
ALTER TABLE audit_events ADD COLUMN request_id TEXT;
ALTER TABLE audit_events ADD COLUMN outcome TEXT NOT NULL DEFAULT 'success';

CREATE INDEX audit_events_user ON audit_events (tenant_id, user_id, seq);
CREATE INDEX audit_events_client ON audit_events (tenant_id, client_id, seq);
CREATE INDEX audit_events_kind ON audit_events (tenant_id, kind, seq);
