//! Audit event SQL, written once for both dialects.

/// The start of a multi-row insert; the rows bind, in this order: tenant, id, at, kind,
/// actor, user, client, IP, user agent, request id, outcome, details.
pub(crate) const INSERT: &str = "INSERT INTO audit_events (tenant_id, id, at, kind, actor, user_id, client_id, ip, user_agent, request_id, outcome, details) ";

/// Binds one event as a row of [`INSERT`].
macro_rules! push_event {
    ($row:expr, $e:expr) => {{
        let e = $e;
        $row.push_bind(e.tenant.as_str())
            .push_bind(&e.id)
            .push_bind(e.at.0)
            .push_bind(e.kind.as_str())
            .push_bind(&e.actor)
            .push_bind(e.user_id.as_ref().map(|u| u.as_str()))
            .push_bind(e.client_id.as_ref().map(|c| c.as_str()))
            .push_bind(e.ip.as_deref())
            .push_bind(e.user_agent.as_deref())
            .push_bind(e.request_id.as_deref())
            .push_bind(e.outcome.as_str())
            .push_bind($crate::rows::to_json(&e.details));
    }};
}
pub(crate) use push_event;
