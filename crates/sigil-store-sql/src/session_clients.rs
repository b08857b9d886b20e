//! Which clients hold an ID token naming a session, written once for both dialects
//! (placeholders aside): the back- and front-channel logouts of the session reach them.

/// Remembers a client of a session, once, and only while the session exists (a user deleted
/// meanwhile takes their sessions along). Binds: tenant, session, client, joined_at, tenant,
/// session.
pub(crate) const INSERT: &str =
    "INSERT INTO session_clients (tenant_id, session_id, client_id, joined_at)
    SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM sessions WHERE tenant_id = ? AND id = ?)
    ON CONFLICT (tenant_id, session_id, client_id) DO NOTHING";

/// A session's clients in the order they joined. Binds: tenant, session.
pub(crate) const LIST: &str = "SELECT client_id FROM session_clients
    WHERE tenant_id = ? AND session_id = ? ORDER BY joined_at, client_id";
